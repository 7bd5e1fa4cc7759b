"""Background work for imports, run by django-tasks-db's `db_worker` (`yiwang worker`)."""

from __future__ import annotations

from django.tasks import task


@task
def run_import(job_id: int) -> str:
    """Run one queued import; returns its final status."""
    from .services import run_job

    return str(run_job(job_id=job_id))
