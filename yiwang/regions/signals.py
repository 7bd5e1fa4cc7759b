"""Keep every process's point-to-grid index in step with the saved boundaries.

A save or delete that can change what `lookup.locate` answers (a boundary edited at any level, a
grid or micro-grid created, deleted, renumbered or moved) bumps `BoundaryVersion`, which other
processes notice within a second, and invalidates this process's index once the change commits.
`Region.save` bumps it too when a region's path changes (moved or renumbered): the grids' paths
below it, which `lookup.region_chains` keeps, changed with it.

Imports write thousands of rows; inside `boundary_changes_batched()` saves only note that
something changed and the version moves once when the block ends. Bulk writes send no signals,
so code using them calls `note_boundary_change()` itself.

`region_moved` announces a region whose path changed (moved under another parent or renumbered),
its subtree already following, inside the transaction that moved it. Apps that keep figures per
ancestor region (the case rollups) subscribe to it; regions does not know who they are.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import Signal

from .models import BoundaryVersion, Level, Region

INDEXED_LEVELS = frozenset({Level.GRID, Level.MICRO_GRID})
# The fields a lookup answer depends on; remembered at load time to tell what a save changed.
_WATCHED_FIELDS = ("boundary", "level", "code", "parent_id")
_WATCHED_SAVE_FIELDS = frozenset({"boundary", "level", "code", "parent", "parent_id"})

# Sent with sender=Region, region= (saved, with its new path) and old_path=. Receivers run in the
# move's transaction: what they write commits or rolls back with the move.
region_moved = Signal()


@dataclass
class _Batch:
    changed: bool = False


_current_batch: ContextVar[_Batch | None] = ContextVar("regions_boundary_batch", default=None)


def _bump_now() -> None:
    from . import lookup

    BoundaryVersion.bump()
    # Other processes see the new version; this one must not wait up to a second for it.
    transaction.on_commit(lookup.invalidate)


def note_boundary_change() -> None:
    """Record that boundaries changed: bump now, or once at the end of the enclosing batch."""
    batch = _current_batch.get()
    if batch is not None:
        batch.changed = True
    else:
        _bump_now()


@contextmanager
def boundary_changes_batched():
    """Within this block, region saves and deletes bump `BoundaryVersion` at most once, on exit.

    Use it inside the transaction that writes the rows, so the bump commits (or rolls back) with
    them. Nested blocks join the outermost one. Nothing is bumped if the block raises.
    """
    if _current_batch.get() is not None:
        yield
        return
    batch = _Batch()
    token = _current_batch.set(batch)
    try:
        yield
    finally:
        _current_batch.reset(token)
    if batch.changed:
        _bump_now()


def _watched_state(instance: Region) -> tuple | None:
    values = instance.__dict__
    # A deferred field is not in __dict__; reading it through the attribute would cost a query.
    if any(name not in values for name in _WATCHED_FIELDS):
        return None
    return tuple(values[name] for name in _WATCHED_FIELDS)


def _remember_state(sender, instance: Region, **kwargs) -> None:
    instance._lookup_state = _watched_state(instance)


def _after_save(sender, instance: Region, created: bool, update_fields=None, **kwargs) -> None:
    before = getattr(instance, "_lookup_state", None)
    after = _watched_state(instance)
    instance._lookup_state = after
    if update_fields is not None and not _WATCHED_SAVE_FIELDS.intersection(update_fields):
        return  # e.g. save(update_fields=["name"]): nothing the lookup depends on was written
    if created:
        changed = bool(instance.boundary) or instance.level in INDEXED_LEVELS
    elif before is None or after is None:
        changed = True  # loaded without the watched fields: cannot tell, so assume it did change
    else:
        old_boundary, old_level, *old_identity = before
        new_boundary, new_level, *new_identity = after
        touches_index = old_level in INDEXED_LEVELS or new_level in INDEXED_LEVELS
        changed = old_boundary != new_boundary or (touches_index and (old_level != new_level or old_identity != new_identity))
    if changed:
        note_boundary_change()


def _after_delete(sender, instance: Region, **kwargs) -> None:
    boundary_unknown = "boundary" not in instance.__dict__
    if instance.level in INDEXED_LEVELS or boundary_unknown or instance.boundary:
        note_boundary_change()


def connect() -> None:
    post_init.connect(_remember_state, sender=Region, dispatch_uid="regions.remember_lookup_state")
    post_save.connect(_after_save, sender=Region, dispatch_uid="regions.bump_boundary_version_on_save")
    post_delete.connect(_after_delete, sender=Region, dispatch_uid="regions.bump_boundary_version_on_delete")
