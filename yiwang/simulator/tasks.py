"""Background work for simulations, run by django-tasks-db's `db_worker` (`yiwang worker`)."""

from __future__ import annotations

from django.tasks import task


@task
def run_simulation(run_id: int) -> str:
    """Run one queued simulation (a back-test or a what-if); returns its final status."""
    from .services import run_job

    return str(run_job(run_id=run_id))
