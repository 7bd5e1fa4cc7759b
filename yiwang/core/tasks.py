"""The sweep: one self-rescheduling task that runs every app's periodic jobs (`core.jobs`) every
YIWANG_SWEEP_SECONDS, run by django-tasks-db's `db_worker` (see `yiwang worker`). The name is the
one the worker has always queued (the deadline sweep), so operators and checks still find it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from . import jobs


@task
def sweep_deadlines() -> dict:
    try:
        result = jobs.run_jobs()
    finally:
        # Each run books the next one, so exactly one sweep is always queued or running.
        sweep_deadlines.using(run_after=timezone.now() + timedelta(seconds=settings.YIWANG_SWEEP_SECONDS)).enqueue()
    return {**result.counts, "failed": result.failed}


@jobs.standing("deadline sweep")
def ensure_sweep_scheduled() -> bool:
    """Queue a sweep unless one is already queued or running; True if one was queued."""
    from django_tasks_db.models import DBTaskResult

    sweeps = DBTaskResult.objects.filter(task_path=sweep_deadlines.module_path)
    # A worker killed mid-sweep leaves its row RUNNING for ever; a sweep takes seconds, so one
    # "running" for ten intervals is dead and must not stop the chain.
    stale = timezone.now() - timedelta(seconds=10 * settings.YIWANG_SWEEP_SECONDS)
    sweeps.filter(status="RUNNING", started_at__lt=stale).update(status="FAILED", finished_at=timezone.now())
    if sweeps.filter(status__in=["READY", "RUNNING"]).exists():
        return False
    sweep_deadlines.enqueue()
    return True
