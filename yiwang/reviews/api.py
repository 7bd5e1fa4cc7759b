"""/api/reviews/: the daily supervision sheet and the weekly dispatch reports, within the caller's
scope (district, street and community staff; others get 403)."""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user
from yiwang.api.params import Day, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import get_in_scope

from . import selectors, services
from .figures import monday_of
from .models import WeeklyReport

router = Router(tags=["reviews"])


class ReportOut(Schema):
    id: int
    region_code: RegionCode
    region_name: str
    week_start: date
    status: str
    error: str
    created_by: str | None
    created_at: datetime
    finished_at: datetime | None
    page_url: str
    xlsx_url: str | None
    pdf_url: str | None

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_error(obj):
        # What to do about a failed run, as the pages say it; the exception stays in the admin.
        return obj.failure_message

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by else None

    @staticmethod
    def resolve_page_url(obj):
        return reverse("reviews:weekly-detail", args=[obj.pk])

    @staticmethod
    def resolve_xlsx_url(obj):
        return reverse("reviews:weekly-xlsx", args=[obj.pk]) if obj.is_done else None

    @staticmethod
    def resolve_pdf_url(obj):
        return reverse("reviews:weekly-pdf", args=[obj.pk]) if obj.is_done else None


class ReportDetailOut(ReportOut):
    figures: dict


class ReportIn(Schema):
    region: str | None = None  # a region code inside the caller's scope; default: the caller's own region
    week_start: Day  # any day of the week; the report starts on its Monday


@router.get("/daily")
def daily(request, region: str | None = None, day: date | None = None):
    """日督导: open cases past their step's due time (red) or warning time (yellow), by handling unit."""
    user = acting_user(request)
    place = selectors.region_for(user, region)
    return selectors.daily_sheet(selectors.reviewable_cases(user), region=place, day=day).as_dict()


@router.get("/weekly", response=list[ReportOut])
@paginate(Page)
def weekly_list(request, region: str | None = None):
    user = acting_user(request)
    selectors.require_reviewer(user)
    reports = WeeklyReport.objects.restrict(user).select_related("region", "created_by")
    if region:
        reports = reports.filter(region__path__startswith=selectors.region_for(user, region).path)
    return reports


@router.get("/weekly/{report_id}", response=ReportDetailOut)
def weekly_detail(request, report_id: int):
    user = acting_user(request)
    selectors.require_reviewer(user)
    return get_in_scope(user, WeeklyReport, pk=report_id)


@router.post("/weekly", response={202: ReportOut})
def weekly_create(request, payload: ReportIn):
    """Queue a weekly report; a worker writes its figures, .xlsx and .pdf (poll the detail)."""
    user = acting_user(request)
    place = selectors.region_for(user, payload.region)
    return Status(202, services.request_weekly_report(region=place, week_start=monday_of(payload.week_start), acting_user=user))
