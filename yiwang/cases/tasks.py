"""Background work for cases, run by django-tasks-db's `db_worker` (see `yiwang worker`): the
delivery of case notices (`notices.py`). The deadline sweep is a periodic job (`jobs.py`)."""

from __future__ import annotations

from django.tasks import task


@task
def deliver_case_event(event_id: int) -> int:
    from .notices import deliver_event

    return deliver_event(event_id)


@task
def deliver_case_reminder(case_id: int) -> int:
    from .notices import deliver_reminder

    return deliver_reminder(case_id)


@task
def deliver_skip_level(routing_id: int) -> int:
    from .notices import deliver_skip_level

    return deliver_skip_level(routing_id)
