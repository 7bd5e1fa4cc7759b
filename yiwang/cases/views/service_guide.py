"""The service guide of one public service item (办事指南): what a resident needs to apply at the
one-stop hall. Read-only and public, like the list of items (`report.service_guide`)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.matters.selectors import service_application, service_time_limit


def service_item(request, code: str):
    """/report/services/<code>/: conditions, materials, place, time limit, fee and steps."""
    matter = service_application(code)
    if matter is None:
        raise Http404(_("没有这个服务事项"))
    days = service_time_limit(matter)
    return render(request, "cases/service_item.html", {
        "matter": matter, "guide": matter.guide, "days": int(days) if days == int(days) else days,
    })
