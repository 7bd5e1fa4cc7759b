"""Background work for votes (django-tasks-db).

`close_due_ballots_task` records the close of ballots past their time. It is not chained: the sweep
runs `services.close_due_ballots(now=now)` as votes' periodic job (`jobs.py`), which keeps one
schedule for all timed work."""

from __future__ import annotations

from django.tasks import task


@task
def close_due_ballots_task() -> int:
    from .services import close_due_ballots

    return close_due_ballots()
