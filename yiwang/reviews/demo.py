"""Demo rows for the reviews: last week's dispatch report of 云枫街道, produced in place (no worker
needed), so the reviews page has a report to open, download and view as PDF."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from yiwang.core.scope import Role
from yiwang.regions.models import Region

from .figures import monday_of
from .models import WeeklyReport
from .services import produce_weekly_report


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    last_monday = monday_of(timezone.localdate()) - timedelta(days=7)
    requester = get_user_model().objects.filter(role=Role.STREET, scope_region=street).order_by("username").first()
    report = WeeklyReport.objects.create(region=street, week_start=last_monday, created_by=requester, created_at=timezone.now())
    status = produce_weekly_report(report.pk)
    return f"reviews: {street.name} weekly report of {last_monday:%Y-%m-%d} {status}"


def delete(inside: str, delete_rows) -> None:
    reports = WeeklyReport.objects.filter(region__path__startswith=inside)
    for report in reports.exclude(xlsx="", pdf=""):
        for field in (report.xlsx, report.pdf):
            if field:
                field.storage.delete(field.name)
    delete_rows(reports)
