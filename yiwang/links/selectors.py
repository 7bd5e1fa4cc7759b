"""Reads for links: cadence per link (required contacts, contacts this and last period, last
visit, missed or not), the links that missed, and the regions nobody is linked to.

Cadence rule: a link missed its cadence when the last complete period had fewer counted contacts
than required. A link is only held to a period it covered from the first day: one started
mid-period (or later) is not blamed for it. Ended links are not blamed at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from yiwang.core.scope import Action
from yiwang.regions.models import Level, Region

from . import periods
from .models import GRID_KINDS, LINKED_LEVEL, UNIT_KINDS, Link, LinkKind, Period

ON_TRACK, MISSED, NEW, ENDED = "on_track", "missed", "new", "ended"
STATUS_LABELS = {ON_TRACK: "达标", MISSED: "未达频次", NEW: "新建，上期不考核", ENDED: "已结束"}
# A filter for "no linked unit of any kind", beside the link kinds themselves.
ANY_UNIT = "unit"


def _window(prefix: str, bounds_by_period: dict[str, tuple[date, date]]) -> Q:
    """Visits inside each link's own period (the bounds differ per period kind)."""
    condition = Q()
    for period, (start, end) in bounds_by_period.items():
        condition |= Q(period=period, **{f"{prefix}__gte": periods.local_midnight(start), f"{prefix}__lt": periods.local_midnight(end)})
    return condition


# Only visits of the counted mode count, when the link names one.
COUNTED = Q(counted_mode="") | Q(visits__mode=F("counted_mode"))


def with_cadence(links: QuerySet, *, today: date | None = None) -> QuerySet:
    """Annotate `current_contacts`, `previous_contacts` and `last_visit_at` in one query."""
    today = today or timezone.localdate()
    current = {p: periods.bounds(today, p) for p in Period.values}
    previous = {p: periods.previous_bounds(today, p) for p in Period.values}
    return links.annotate(
        current_contacts=Count("visits", filter=COUNTED & _window("visits__at", current), distinct=True),
        previous_contacts=Count("visits", filter=COUNTED & _window("visits__at", previous), distinct=True),
        last_visit_at=Max("visits__at"),
    )


def _blamed(today: date) -> Q:
    """Active links that covered the whole of their last complete period."""
    condition = Q()
    for period in Period.values:
        start, _ = periods.previous_bounds(today, period)
        condition |= Q(period=period, starts_on__lte=start)
    return Q(active=True) & condition


def missed(links: QuerySet, *, today: date | None = None) -> QuerySet:
    """The links among `links` that missed their cadence in their last complete period."""
    today = today or timezone.localdate()
    return with_cadence(links, today=today).filter(_blamed(today)).filter(previous_contacts__lt=F("contacts_required"))


@dataclass(frozen=True)
class Cadence:
    link: Link
    required: int
    period: str
    current_start: date
    current_end: date  # exclusive
    current_contacts: int
    previous_start: date
    previous_end: date  # exclusive
    previous_contacts: int
    last_visit_at: datetime | None
    status: str

    @property
    def missed(self) -> bool:
        return self.status == MISSED

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def current_label(self) -> str:
        return periods.label(self.current_start, self.period)

    @property
    def previous_label(self) -> str:
        return periods.label(self.previous_start, self.period)

    @property
    def current_met(self) -> bool:
        return self.current_contacts >= self.required


def cadence_of(link: Link, *, today: date | None = None) -> Cadence:
    """The cadence of one link; uses the annotations of `with_cadence` when present."""
    today = today or timezone.localdate()
    if not hasattr(link, "current_contacts"):
        link = with_cadence(Link.objects.filter(pk=link.pk), today=today).select_related(
            "region", "department", "party_organization", "leader").get()
    current_start, current_end = periods.bounds(today, link.period)
    previous_start, previous_end = periods.previous_bounds(today, link.period)
    if not link.active:
        status = ENDED
    elif link.starts_on > previous_start:
        status = NEW
    elif link.previous_contacts < link.contacts_required:
        status = MISSED
    else:
        status = ON_TRACK
    return Cadence(link=link, required=link.contacts_required, period=link.period, current_start=current_start, current_end=current_end,
                   current_contacts=link.current_contacts, previous_start=previous_start, previous_end=previous_end,
                   previous_contacts=link.previous_contacts, last_visit_at=link.last_visit_at, status=status)


def cadences(links: QuerySet, *, today: date | None = None) -> list[Cadence]:
    today = today or timezone.localdate()
    return [cadence_of(link, today=today) for link in with_cadence(links, today=today)]


def links_in_scope(user, *, kind: str = "", active: bool | None = True) -> QuerySet:
    links = Link.objects.restrict(user, Action.VIEW).select_related("region", "region__parent", "department", "party_organization",
                                                                     "leader", "primary", "backup")
    if kind:
        links = links.filter(kind=kind)
    if active is not None:
        links = links.filter(active=active)
    return links


def regions_without_link(user, *, kind: str = "") -> QuerySet:
    """Regions in the user's scope that nobody is linked to.

    No `kind`: grids with no active link of any grid kind and communities with no district leader.
    A link kind: the regions of that kind's level without an active link of that kind.
    `ANY_UNIT`: grids without a linked department, alliance unit or party branch (the one-to-one gap)."""
    regions = Region.objects.restrict(user, Action.VIEW).select_related("parent").order_by("path")
    active = Link.objects.filter(active=True)
    if kind == ANY_UNIT:
        return regions.filter(level=Level.GRID).exclude(pk__in=active.filter(kind__in=sorted(UNIT_KINDS)).values("region_id"))
    if kind:
        kind = LinkKind(kind)
        return regions.filter(level=LINKED_LEVEL[kind]).exclude(pk__in=active.filter(kind=kind).values("region_id"))
    grids = Q(level=Level.GRID) & ~Q(pk__in=active.filter(kind__in=sorted(GRID_KINDS)).values("region_id"))
    communities = Q(level=Level.COMMUNITY) & ~Q(pk__in=active.filter(kind=LinkKind.DISTRICT_LEADER).values("region_id"))
    return regions.filter(grids | communities)


def active_kinds_by_region(region_ids) -> dict[int, list[str]]:
    """The kinds of active link each region has, to show beside a gap what it does have."""
    found: dict[int, list[str]] = defaultdict(list)
    for region_id, kind in Link.objects.filter(active=True, region_id__in=list(region_ids)).values_list("region_id", "kind").order_by("kind"):
        found[region_id].append(kind)
    return found
