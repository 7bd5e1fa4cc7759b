"""Background work for the reviews, run by django-tasks-db's `db_worker` (`yiwang worker`)."""

from __future__ import annotations

from django.tasks import task


@task
def generate_weekly_report(report_id: int) -> str:
    """Produce one queued weekly report (figures, .xlsx, .pdf); returns its final status."""
    from .services import produce_weekly_report

    return str(produce_weekly_report(report_id))
