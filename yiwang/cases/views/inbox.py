"""The inbox (what I must act on next, and my unread notifications) and the case list with its
filters (the command center links its numbers here)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from yiwang.core.pages import staff_required
from yiwang.core.params import int_param
from yiwang.matters.models import MatterType
from yiwang.notify.models import Notification
from yiwang.regions.models import Region

from .. import selectors
from ..indicators import light_of
from ..models import Case, Status
from .common import describe_error

# What the inbox asks of the user, by status.
NEXT_STEP = {
    Status.REPORTED: gettext_lazy("待受理"), Status.ACCEPTED: gettext_lazy("待派遣"), Status.DISPATCHED: gettext_lazy("待签收"),
    Status.SIGNED: gettext_lazy("待处置"), Status.HANDLED: gettext_lazy("待核查"), Status.VERIFIED: gettext_lazy("待结案"),
}
# Translated where shown.
STATE_LABELS = {
    "cases": gettext_noop("全部(不含不予立案、并案)"), "open": gettext_noop("在办"), "overdue": gettext_noop("超期未结"),
    "closed": gettext_noop("已办结"), "on_time": gettext_noop("按时办结"), "late": gettext_noop("超时办结"), "rated": gettext_noop("已评价"),
    "judged": gettext_noop("应按时办结"), "satisfied": gettext_noop("满意(含基本满意)"), "warning": gettext_noop("临期(黄灯)"),
}


@staff_required
def inbox_page(request):
    """What I must act on next, overdue first, with its light; and my unread notifications."""
    now = timezone.now()
    page = Paginator(selectors.inbox(request.user), 50).get_page(request.GET.get("page"))
    rows = [{"case": case, "light": light_of(case, now), "next": NEXT_STEP.get(case.status, "")} for case in page]
    notes = Notification.objects.filter(user=request.user, read_at__isnull=True).select_related("case")[:50]
    return render(request, "cases/inbox.html", {"page": page, "rows": rows, "notifications": notes})


@login_required
@require_POST
def open_notification(request, pk: int):
    """Mark one notification read and go to its case."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    if note.case_id and Case.objects.restrict(request.user).filter(pk=note.case_id).exists():
        return redirect("case-detail", number=note.case.number)
    return redirect("case-inbox")


@login_required
@require_POST
def read_all_notifications(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("case-inbox")


@staff_required
def case_list(request):
    cases = Case.objects.restrict(request.user).select_related("matter", "region", "handling_region", "handling_department")
    status, matter, overdue, query = (request.GET.get(k, "").strip() for k in ("status", "matter", "overdue", "q"))
    if status in Status.values:
        cases = cases.filter(status=status)
    if overdue == "1":
        cases = cases.filter(step_overdue=True)
    if query:
        cases = cases.filter(number__startswith=query)
    # The command center links its numbers here with these (see cases.selectors.filter_cases).
    narrowing = {k: request.GET.get(k, "").strip() for k in ("region", "board", "department", "handler", "since", "until", "state")}
    region = None
    if narrowing["region"]:
        region = Region.objects.restrict(request.user).filter(code=narrowing["region"]).first()
        if region is None:
            raise Http404("no such region in your scope")
    try:
        since, until = (date.fromisoformat(narrowing[k]) if narrowing[k] else None for k in ("since", "until"))
        if any(d is not None and not 1900 <= d.year <= 2100 for d in (since, until)):
            raise ValueError("dates from 1900 to 2100")
        cases = selectors.filter_cases(cases, region=region, board=narrowing["board"], matter=int_param(matter),
                                       department=int_param(narrowing["department"]), handler=int_param(narrowing["handler"]),
                                       since=since, until=until, state=narrowing["state"])
    except ValueError:
        raise Http404("dates are YYYY-MM-DD") from None
    except ValidationError as exc:
        raise Http404(describe_error(exc)) from None
    now = timezone.now()
    page = Paginator(cases.order_by("-reported_at", "-id"), 50).get_page(request.GET.get("page"))
    kept = {"status": status, "matter": matter, "overdue": overdue, "q": query, **narrowing}
    return render(request, "cases/list.html", {
        "page": page, "rows": [{"case": c, "light": light_of(c, now)} for c in page],
        "statuses": Status.choices, "matters": MatterType.objects.filter(active=True).order_by("kind", "code"),
        "status": status, "matter": matter, "overdue": overdue, "q": query, "narrowing": {k: v for k, v in narrowing.items() if v},
        "narrowed_region": region, "state_label": STATE_LABELS.get(narrowing["state"], ""),
        "query": urlencode({k: v for k, v in kept.items() if v}),
    })
