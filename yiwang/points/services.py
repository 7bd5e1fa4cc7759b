"""Points are written by case transitions (yiwang.cases.services), inside their transaction."""

from __future__ import annotations

from datetime import datetime

from .models import DEFAULT_POINTS, PointEntry, PointRule


def award(*, case, event: str, worker, at: datetime) -> PointEntry | None:
    """Apply the active rule for `event` to the worker, once per case and event."""
    if worker is None or not getattr(worker, "is_authenticated", False):
        return None
    rule = PointRule.objects.filter(event=event, active=True).first()
    if rule is None or PointEntry.objects.filter(case=case, event=event, worker=worker).exists():
        return None
    return PointEntry.objects.create(worker=worker, region=case.region, case=case, event=event, points=rule.points, at=at)


def ensure_rules(rule_model=PointRule) -> None:
    for event, points in DEFAULT_POINTS.items():
        rule_model.objects.get_or_create(event=event, defaults={"points": points})
