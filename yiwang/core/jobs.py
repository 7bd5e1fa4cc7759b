"""The registry of timed work the background worker does: periodic jobs and standing tasks.

Each app declares its own in its `jobs.py` (found at start-up by `discover`, from core's
AppConfig.ready), so core never names an app above it:

- a periodic job is `function(now) -> count`, run by the sweep (`core.tasks.sweep_deadlines`) every
  YIWANG_SWEEP_SECONDS, in `order` (lower first), each in its own try: one failing job is logged and
  the others still run;
- a standing task is a self-rescheduling task of the app's own, with its own interval; the worker
  calls its `ensure` function at start-up so exactly one is always queued;
- a folder is `function() -> rows folded`, run by the worker's own thread every YIWANG_FOLD_SECONDS
  (and by every sweep): it folds what writers appended (the case rollups' deltas) into the tables
  read.

A `jobs.py` imports its work inside each job, so finding the jobs at start-up loads nothing else, and
a module that fails to import fails only its own job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]
    order: int = 100


@dataclass(frozen=True)
class StandingTask:
    label: str  # said by the worker when it queues one: "<label> scheduled"
    ensure: Callable[[], bool]  # queue one unless one is queued or running; True if it queued one


@dataclass
class SweepResult:
    """What one sweep did: each job's count by name, and the names of the jobs that failed."""

    counts: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)


_jobs: dict[str, Job] = {}
_standing: dict[str, StandingTask] = {}


def periodic(name: str, *, order: int = 100):
    """Decorator: run `function(now) -> count` on every sweep, under `name` ("app.what")."""

    def register(function: Callable[[datetime], int]) -> Callable[[datetime], int]:
        _jobs[name] = Job(name=name, run=function, order=order)
        return function

    return register


def standing(label: str):
    """Decorator for an app's `ensure_..._scheduled()`: the worker calls it at start-up."""

    def register(ensure: Callable[[], bool]) -> Callable[[], bool]:
        _standing[label] = StandingTask(label=label, ensure=ensure)
        return ensure

    return register


_folders: dict[str, Callable[[], int]] = {}


def folder(name: str):
    """Decorator for `function() -> rows folded`: work appended by writers (e.g. the case rollups'
    deltas) that the worker folds every YIWANG_FOLD_SECONDS, and every sweep again."""

    def register(function: Callable[[], int]) -> Callable[[], int]:
        _folders[name] = function
        return function

    return register


def run_folders() -> dict[str, int]:
    """Run every folder until it has nothing left; one failing is logged and the others still run."""
    done = {}
    for name, function in sorted(_folders.items()):
        try:
            done[name] = function()
        except Exception:
            log.exception("folder %s failed", name)
    return done


def discover() -> None:
    """Import every installed app's `jobs` module, which registers its jobs."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")


def registered() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: (job.order, job.name))


def standing_tasks() -> list[StandingTask]:
    return list(_standing.values())


def run_jobs(*, now: datetime | None = None) -> SweepResult:
    """Run every periodic job once, in order, at `now` (after the folders, so that jobs read folded counts)."""
    now = now or timezone.now()
    result = SweepResult()
    result.counts.update(run_folders())
    for job in registered():
        try:
            result.counts[job.name] = job.run(now)
        except Exception:  # one broken job must not stop the others; the next sweep tries again
            log.exception("periodic job %s failed", job.name)
            result.failed.append(job.name)
    return result


@periodic("core.purge_kept_photos", order=80)
def purge_kept_photos(now: datetime) -> int:
    """Photos kept across a failed submission (core/kept_photos.py) older than a day."""
    from .kept_photos import purge_expired

    return purge_expired(now)


@periodic("core.prune_submission_keys", order=85)
def prune_submission_keys(now: datetime) -> int:
    """Forms' submission keys (core/idempotency.py) past their keeping time."""
    from .idempotency import prune

    return prune(now=now)


@periodic("core.prune_throttles", order=85)
def prune_throttles(now: datetime) -> int:
    """Rate limits' closed windows (core/throttle.py)."""
    from .throttle import prune

    return prune(now)
