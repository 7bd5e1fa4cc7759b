"""Writes of the reviews: requesting a weekly report, and producing it (run by the task)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.core import audit
from yiwang.core.scope import Action, require
from yiwang.regions.models import Level, Region

from .models import ReportStatus, WeeklyReport
from .selectors import require_reviewer

log = logging.getLogger(__name__)

# Reports are about units that hold grids, not a single micro-grid.
REPORT_LEVELS = frozenset({Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID})


def request_weekly_report(*, region: Region, week_start: date, acting_user) -> WeeklyReport:
    """Queue the weekly report of `region` for the week starting on Monday `week_start`.

    A report of the same region and week already queued or running is returned instead of a second
    one (a double click queues one job). The task is enqueued in the same transaction, so the row
    and its job exist together or not at all.
    """
    from .tasks import generate_weekly_report

    require_reviewer(acting_user)
    require(acting_user, Action.CHANGE, region.path)
    if not isinstance(week_start, date) or week_start.weekday() != 0:
        raise ValidationError({"week_start": "周调度报告须从周一开始"})
    if week_start > timezone.localdate():
        raise ValidationError({"week_start": "不能生成尚未开始的一周"})
    if region.level not in REPORT_LEVELS:
        raise ValidationError({"region": "微网格不单独生成周调度报告"})
    with transaction.atomic():
        # Lock the region row so two requests for it cannot both find nothing pending.
        Region.objects.select_for_update().get(pk=region.pk)
        _give_up_stale(region=region, week_start=week_start)
        pending = WeeklyReport.objects.filter(region=region, week_start=week_start,
                                              status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING]).first()
        if pending is not None:
            return pending
        report = WeeklyReport.objects.create(region=region, week_start=week_start, created_by=acting_user, created_at=timezone.now())
        audit.record(actor=acting_user, action="reviews.weekly_report.request", target=report,
                     detail={"region": region.code, "week_start": week_start.isoformat()})
        generate_weekly_report.enqueue(report.pk)
    return report


# A report takes seconds; one "running" this long lost its worker, one queued this long its job.
STALE_RUNNING = timedelta(minutes=30)
STALE_QUEUED = timedelta(hours=6)


def _give_up_stale(*, region: Region, week_start: date) -> None:
    """Mark as failed the reports of this region and week whose worker or job is gone, so that a
    new request makes a new report instead of waiting on them for ever."""
    now = timezone.now()
    stale = WeeklyReport.objects.filter(region=region, week_start=week_start).filter(
        Q(status=ReportStatus.RUNNING, started_at__lt=now - STALE_RUNNING)
        | Q(status=ReportStatus.QUEUED, retry_at__isnull=True, created_at__lt=now - STALE_QUEUED)
        | Q(status=ReportStatus.QUEUED, retry_at__lt=now - STALE_QUEUED))
    stale.update(status=ReportStatus.FAILED, error="生成中断（后台任务未完成），请重新生成", finished_at=now, retry_at=None)


def produce_weekly_report(report_id: int, *, now=None) -> str:
    """Compute the figures, write the .xlsx and .pdf, and only then mark the report done.

    On any error the files written so far are deleted and the report is marked failed with the
    error; it is never announced done with a file missing. Returns the final status.
    """
    from .documents import render_pdf, render_xlsx, title_of
    from .figures import weekly_figures

    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().select_related("region").filter(pk=report_id).first()
        if report is None or report.status == ReportStatus.DONE:
            return report.status if report else "missing"
        report.status, report.started_at, report.error, report.retry_at = ReportStatus.RUNNING, timezone.now(), "", None
        report.attempts += 1
        report.save(update_fields=["status", "started_at", "error", "retry_at", "attempts"])

    written = []
    try:
        figures = weekly_figures(region=report.region, week_start=report.week_start, now=now)
        xlsx, pdf = render_xlsx(figures), render_pdf(figures)  # both in memory before anything is stored
        stem = f"weekly-{report.region.code}-{report.week_start:%Y%m%d}-{report.pk}"
        report.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx), save=False)
        written.append(report.xlsx.name)
        report.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        written.append(report.pdf.name)
        with transaction.atomic():
            WeeklyReport.objects.filter(pk=report.pk).update(
                status=ReportStatus.DONE, figures=figures, xlsx=report.xlsx.name, pdf=report.pdf.name, finished_at=timezone.now(), error="")
        audit.record(actor=None, action="reviews.weekly_report.done", target=report, detail={"title": title_of(figures)})
        return ReportStatus.DONE
    except Exception as exc:  # noqa: BLE001 - any failure must end as a failed report, not a stuck one
        log.exception("weekly report %s failed", report_id)
        for name in written:
            report.xlsx.storage.delete(name)
        return _failed(report, error=f"{type(exc).__name__}: {exc}"[:2000])


# A failed run is tried again after these delays (a font installed, a database back), then given up.
RETRY_DELAYS = (timedelta(minutes=10), timedelta(minutes=30), timedelta(minutes=90))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def _failed(report: WeeklyReport, *, error: str) -> str:
    """Queue the next try with its delay (django.tasks does not retry by itself), or give up after the last."""
    from .tasks import generate_weekly_report

    now = timezone.now()
    cleared = {"error": error, "xlsx": "", "pdf": "", "figures": {}, "finished_at": now}
    with transaction.atomic():
        if report.attempts >= MAX_ATTEMPTS:
            WeeklyReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, retry_at=None, **cleared)
            return ReportStatus.FAILED
        retry_at = now + RETRY_DELAYS[report.attempts - 1]
        WeeklyReport.objects.filter(pk=report.pk).update(status=ReportStatus.QUEUED, retry_at=retry_at, **cleared)
        generate_weekly_report.using(run_after=retry_at).enqueue(report.pk)
    log.warning("weekly report %s: attempt %s failed, next at %s", report.pk, report.attempts, retry_at.isoformat())
    return ReportStatus.QUEUED
