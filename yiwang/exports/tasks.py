"""Background work for exports, run by django-tasks-db's `db_worker` (`yiwang worker`)."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

PRUNE_EVERY = timedelta(minutes=15)


@task
def run_export_job(job_id: int) -> str:
    """Write one queued export's file; returns its final status."""
    from .services import run_export

    return str(run_export(job_id))


@task
def prune_exports() -> int:
    """Delete the files kept past their time (and give up on jobs whose worker died); then book
    the next run, so exactly one prune is always queued."""
    from .services import prune_exports as prune

    try:
        return prune()
    finally:
        prune_exports.using(run_after=timezone.now() + PRUNE_EVERY).enqueue()


def ensure_prune_scheduled() -> bool:
    """Queue a prune unless one is already queued or running; True if one was queued."""
    from django_tasks_db.models import DBTaskResult

    prunes = DBTaskResult.objects.filter(task_path=prune_exports.module_path)
    # A worker killed mid-run leaves its row RUNNING for ever; a prune takes seconds.
    prunes.filter(status="RUNNING", started_at__lt=timezone.now() - 4 * PRUNE_EVERY).update(status="FAILED", finished_at=timezone.now())
    if prunes.filter(status__in=["READY", "RUNNING"]).exists():
        return False
    prune_exports.enqueue()
    return True
