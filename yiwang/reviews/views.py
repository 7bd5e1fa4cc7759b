"""Pages of the reviews: the landing page, the daily supervision sheet (日督导) with its .xlsx, the
weekly dispatch reports (周调度): request, list, figures on screen, downloads and the PDF view.

Thin: every read starts from the user's scope (selectors.region_for / reviewable_cases, and
WeeklyReport.objects.restrict); writes go through services.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.utils.translation import gettext

from yiwang.core.scope import get_in_scope
from yiwang.regions.models import Level, Region

from . import selectors, services
from .documents import display_rows, period_of, report_tables, title_of
from .figures import monday_of
from .models import ReportStatus, WeeklyReport

# Regions offered in the pickers: the levels that run a command centre or a community desk.
PICKER_LEVELS = (Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY)
PICKER_LIMIT = 300


def _regions_for_picker(user):
    return Region.objects.restrict(user).filter(level__in=PICKER_LEVELS).order_by("path")[:PICKER_LIMIT]


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2100 else None


def _sheet(request):
    region = selectors.region_for(request.user, request.GET.get("region") or None)
    day = _day(request.GET.get("day")) or timezone.localdate()
    return selectors.daily_sheet(selectors.reviewable_cases(request.user), region=region, day=day)


@login_required
def index(request):
    selectors.require_reviewer(request.user)
    region = selectors.region_for(request.user, request.GET.get("region") or None)
    reports = WeeklyReport.objects.restrict(request.user).select_related("region", "created_by")[:50]
    last_monday = monday_of(timezone.localdate()) - timedelta(days=7)
    return render(request, "reviews/index.html", {
        "region": region, "reports": reports, "regions": _regions_for_picker(request.user),
        "default_week": last_monday.isoformat(), "today": timezone.localdate().isoformat(),
        # A report waiting minutes for its retry does not need the page reloaded every few seconds.
        "pending": any(r.status == ReportStatus.RUNNING or (r.status == ReportStatus.QUEUED and not r.is_retrying) for r in reports),
    })


@login_required
def daily(request):
    sheet = _sheet(request)
    query = f"region={sheet.region.code}&day={sheet.day.isoformat()}"
    return render(request, "reviews/daily.html", {"sheet": sheet, "regions": _regions_for_picker(request.user), "query": query})


@login_required
def daily_xlsx(request):
    # Queued as a background export (yiwang.exports), judged at the moment it was asked for.
    from yiwang.exports.views import start_export

    day = _day(request.GET.get("day")) or timezone.localdate()
    return start_export(request, "reviews.daily", {"region": request.GET.get("region") or "", "day": day.isoformat()}, back="reviews:daily")


@login_required
@require_POST
def weekly_request(request):
    selectors.require_reviewer(request.user)
    region = selectors.region_for(request.user, request.POST.get("region") or None)
    week = _day(request.POST.get("week_start"))
    try:
        if week is None:
            raise ValidationError({"week_start": "请选择周一日期"})
        report = services.request_weekly_report(region=region, week_start=monday_of(week), acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("reviews:index")
    messages.success(request, f"已提交：{report}，后台生成中。")
    return redirect("reviews:index")


def _report(request, pk: int) -> WeeklyReport:
    selectors.require_reviewer(request.user)
    return get_in_scope(request.user, WeeklyReport, pk=pk)


@login_required
def weekly_detail(request, pk: int):
    report = _report(request, pk)
    context = {"report": report}
    if report.is_done:
        figures = report.figures
        context.update(title=title_of(figures), period=period_of(figures), figures=figures,
                       tables=[(table, display_rows(table)) for table in report_tables(figures)])
    return render(request, "reviews/weekly_detail.html", context)


def _file(report: WeeklyReport, kind: str, *, inline: bool) -> FileResponse:
    field = report.xlsx if kind == "xlsx" else report.pdf
    if not report.is_done or not field:
        raise Http404(gettext("报告尚未生成"))
    content_type = "application/pdf" if kind == "pdf" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"weekly-{report.region.code}-{report.week_start:%Y%m%d}.{kind}"
    response = FileResponse(field.open("rb"), content_type=content_type, as_attachment=not inline, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def weekly_xlsx(request, pk: int):
    return _file(_report(request, pk), "xlsx", inline=False)


@login_required
def weekly_pdf(request, pk: int):
    # Inline so pdf.js (and the browser's own viewer) can open it; ?download=1 saves it.
    return _file(_report(request, pk), "pdf", inline=request.GET.get("download") != "1")


@login_required
def weekly_pdf_view(request, pk: int):
    report = _report(request, pk)
    if not report.is_done:
        return redirect(reverse("reviews:weekly-detail", args=[pk]))
    return render(request, "reviews/weekly_pdf.html", {"report": report, "title": title_of(report.figures)})
