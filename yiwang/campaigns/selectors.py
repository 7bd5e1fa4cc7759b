"""Reads for inspection campaigns: what a user sees, progress per grid, and the two figures other
apps read (assessment: checks per grid worker; property ratings: check results per place).

Time windows are half-open: `since <= checked_at < until`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from yiwang.core.scope import Action

from .models import Campaign, ItemResult, Result, Status, Target, TargetCheck, TargetStatus


def visible_campaigns(user) -> QuerySet:
    """Campaigns the user owns by scope (street, district) or has targets of (grids, communities)."""
    own = Campaign.objects.restrict(user, Action.VIEW).values("pk")
    with_targets = Target.objects.restrict(user, Action.VIEW).values("campaign_id")
    return Campaign.objects.filter(Q(pk__in=own) | Q(pk__in=with_targets))


def visible_targets(user, campaign: Campaign | None = None) -> QuerySet:
    """Targets in the user's scope (all of them for the street that owns the campaign)."""
    qs = Target.objects.restrict(user, Action.VIEW)
    return qs.filter(campaign=campaign) if campaign is not None else qs


def my_targets(user) -> QuerySet:
    """A grid worker's work list: targets of running campaigns assigned to them, or unassigned
    ones in their scope (anyone of the grid may take those)."""
    return (visible_targets(user).filter(campaign__status=Status.PUBLISHED)
            .filter(Q(assignee=user) | Q(assignee__isnull=True))
            .select_related("campaign", "place", "household__house__building", "grid", "region"))


@dataclass
class GridProgress:
    grid_id: int | None
    grid_name: str
    grid_code: str
    targets: int = 0
    checked: int = 0
    failed: int = 0  # targets with at least one failed item
    cases: int = 0  # cases opened from failed items
    unassigned: int = 0

    @property
    def pending(self) -> int:
        return self.targets - self.checked

    @property
    def percent(self) -> int:
        """Checked share in whole percent, rounded down (100 only when all are checked)."""
        return self.checked * 100 // self.targets if self.targets else 0


@dataclass
class Progress:
    grids: list[GridProgress] = field(default_factory=list)
    total: GridProgress = field(default_factory=lambda: GridProgress(None, "合计", ""))


def progress(targets: QuerySet) -> Progress:
    """Targets, checked, failed, cases opened and unassigned per grid, and their total, over the
    given (already scoped) targets."""
    rows = (targets.order_by().values("grid_id", "grid__name", "grid__code", "grid__path")
            .annotate(n=Count("pk"),
                      checked=Count("pk", filter=Q(status=TargetStatus.CHECKED)),
                      failed=Count("pk", filter=Q(record__failed_items__gt=0)),
                      unassigned=Count("pk", filter=Q(assignee__isnull=True))))
    cases = dict(ItemResult.objects.filter(record__target__in=targets.order_by().values("pk"), case__isnull=False)
                 .order_by().values("record__target__grid_id").annotate(n=Count("pk")).values_list("record__target__grid_id", "n"))
    out = Progress()
    for row in sorted(rows, key=lambda r: r["grid__path"]):
        grid = GridProgress(row["grid_id"], row["grid__name"], row["grid__code"], targets=row["n"], checked=row["checked"],
                            failed=row["failed"], cases=cases.get(row["grid_id"], 0), unassigned=row["unassigned"])
        out.grids.append(grid)
        for name in ("targets", "checked", "failed", "cases", "unassigned"):
            setattr(out.total, name, getattr(out.total, name) + getattr(grid, name))
    return out


def checks_by_worker(*, region_path: str, since: datetime, until: datetime) -> dict[int, int]:
    """Completed target checks per user id, of targets under `region_path`, checked in [since, until)."""
    rows = (TargetCheck.objects.filter(target__region__path__startswith=region_path, checked_at__gte=since, checked_at__lt=until)
            .order_by().values("checked_by_id").annotate(n=Count("pk")).values_list("checked_by_id", "n"))
    return {user_id: n for user_id, n in rows}


def place_check_results(*, place_ids, since: datetime, until: datetime) -> dict[int, dict[str, int]]:
    """Per registry.Place id asked for: checks done in [since, until) and their failed items
    (every asked id is present, zeros when it was not checked)."""
    ids = [int(pk) for pk in place_ids]
    out = {pk: {"checks": 0, "failed_items": 0} for pk in ids}
    window = {"checked_at__gte": since, "checked_at__lt": until}
    for place_id, n in (TargetCheck.objects.filter(target__place_id__in=ids, **window).order_by()
                        .values("target__place_id").annotate(n=Count("pk")).values_list("target__place_id", "n")):
        out[place_id]["checks"] = n
    for place_id, n in (ItemResult.objects.filter(record__target__place_id__in=ids, result=Result.FAIL,
                                                  **{f"record__{k}": v for k, v in window.items()}).order_by()
                        .values("record__target__place_id").annotate(n=Count("pk")).values_list("record__target__place_id", "n")):
        out[place_id]["failed_items"] = n
    return out
