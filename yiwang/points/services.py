"""Points are written by case transitions (yiwang.cases.services), inside their transaction."""

from __future__ import annotations

from datetime import datetime

from yiwang.core.stamped import StampedCache, table_stamp

from .models import DEFAULT_POINTS, PointEntry, PointRule

_rules = StampedCache(stamp=lambda: table_stamp(PointRule.objects.all()),
                      build=lambda: dict(PointRule.objects.filter(active=True).values_list("event", "points")))


def award(*, case, event: str, worker, at: datetime, new_case: bool = False) -> PointEntry | None:
    """Apply the active rule for `event` to the worker, once per case and event (`new_case`: the
    case was created in this transaction, so it cannot have been scored yet)."""
    if worker is None or not getattr(worker, "is_authenticated", False):
        return None
    points = _rules.get().get(event)
    if points is None or (not new_case and PointEntry.objects.filter(case=case, event=event, worker=worker).exists()):
        return None
    return PointEntry.objects.create(worker=worker, region=case.region, case=case, event=event, points=points, at=at)


def ensure_rules(rule_model=PointRule) -> None:
    for event, points in DEFAULT_POINTS.items():
        rule_model.objects.get_or_create(event=event, defaults={"points": points})
