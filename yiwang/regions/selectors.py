"""Read-side queries over the region tree: figures per child unit and the people on duty."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Level, Region, ancestor_paths

FIGURES = {
    "households": _("户数"),
    "persons": _("实有人口"),
    "key_persons": _("重点人群"),
    "party_members": _("党员"),
}


@dataclass
class Figures:
    households: int = 0
    persons: int = 0
    key_persons: int = 0
    party_members: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _child_of(path: str, depth: int) -> str:
    """The code of the ancestor at `depth` on a region path ("/a/b/c/" at depth 1 -> "b")."""
    parts = path.strip("/").split("/")
    return parts[depth] if len(parts) > depth else ""


def _counts_by_owner(path: str) -> dict[str, list[tuple[int, int]]]:
    """For each figure, (owning region id, count) pairs for everything under `path`: the one
    place that says how each figure is counted. Grouping by owner keeps it one query a figure."""
    from yiwang.party.models import PartyMember
    from yiwang.registry.models import Household, Person, PersonTag

    def grouped(queryset, owner: str, counted: str = "id", distinct: bool = False):
        return list(queryset.values(owner).annotate(n=Count(counted, distinct=distinct)).values_list(owner, "n"))

    return {
        "households": grouped(Household.objects.filter(region__path__startswith=path), "region_id"),
        "persons": grouped(Person.objects.filter(region__path__startswith=path), "region_id"),
        "key_persons": grouped(PersonTag.objects.filter(person__region__path__startswith=path), "person__region_id",
                               counted="person_id", distinct=True),
        # Party members count where their organisation is, the same rule their scope follows.
        "party_members": grouped(PartyMember.objects.filter(organization__region__path__startswith=path), "organization__region_id"),
    }


def figures_by_child(parent: Region) -> dict[str, Figures]:
    """Figures for each child of `parent`, keyed by child code: the grouped counts folded up to
    the child level in Python instead of one query per child."""
    paths = dict(Region.objects.filter(path__startswith=parent.path).values_list("id", "path"))
    child_depth = parent.depth + 1
    result = {code: Figures() for code in Region.objects.filter(parent=parent).values_list("code", flat=True)}
    for figure, rows in _counts_by_owner(parent.path).items():
        for region_id, n in rows:
            code = _child_of(paths.get(region_id, ""), child_depth)
            if code in result:
                setattr(result[code], figure, getattr(result[code], figure) + n)
    return result


def figures_for(region: Region) -> Figures:
    return Figures(**{figure: sum(n for _, n in rows) for figure, rows in _counts_by_owner(region.path).items()})


def on_duty(region: Region) -> list[dict]:
    """Who answers for this unit: current assignments to it, and roster shifts running now."""
    from yiwang.forces.models import Assignment, DutyShift

    today = timezone.localdate()
    now = timezone.now()
    people = [
        {"name": a.member.name, "role": a.get_role_display(), "kind": "assignment"}
        for a in Assignment.objects.filter(grid=region, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("member").order_by("role", "member__name")
    ]
    people += [
        {"name": s.member.name, "role": s.member.get_role_display(), "kind": "shift",
         "until": timezone.localtime(s.ends_at).strftime("%H:%M")}
        for s in DutyShift.objects.filter(region=region, starts_at__lte=now, ends_at__gt=now).select_related("member")
    ]
    return people


# Region rows for the hot path of intake (the grid a point fell in and its ancestors), kept per
# process and dropped whenever the point-to-grid index is rebuilt, i.e. when boundaries, codes or the
# tree change anywhere (see regions.signals), and at least every minute for renamed nodes.
_region_rows: dict[object, Region] = {}
_region_rows_index: object = None
_region_rows_since = 0.0


def cached_regions(*, ids=(), codes=()) -> dict[object, Region]:
    """Regions by id and by code; the same objects are shared by requests: read them, never save them."""
    import time

    from . import lookup

    global _region_rows_index, _region_rows_since
    index = lookup.current_index()
    if index is not _region_rows_index or time.monotonic() - _region_rows_since > 60:
        _region_rows.clear()
        _region_rows_index, _region_rows_since = index, time.monotonic()
    missing_ids = [i for i in ids if i not in _region_rows]
    missing_codes = [c for c in codes if ("code", c) not in _region_rows]
    if missing_ids or missing_codes:
        for region in Region.objects.filter(Q(pk__in=missing_ids) | Q(code__in=missing_codes)):
            _region_rows[region.pk] = _region_rows[("code", region.code)] = region
    found: dict[object, Region] = {i: _region_rows[i] for i in ids if i in _region_rows}
    found.update({c: _region_rows[("code", c)] for c in codes if ("code", c) in _region_rows})
    return found


def community_of(region: Region | None) -> Region | None:
    """The community (社区/村) a region lies in, the region itself if it is one; None above or outside one."""
    if region is None:
        return None
    if region.level == Level.COMMUNITY:
        return region
    return Region.objects.filter(level=Level.COMMUNITY, path__in=ancestor_paths(region.path)).first()


def under_region(qs: QuerySet, code: str | None, field: str = "region__path") -> QuerySet:
    """Rows of an already scoped queryset under the region with this code (none if unknown)."""
    if not code:
        return qs
    path = Region.objects.filter(code=code).values_list("path", flat=True).first()
    return qs.filter(**{f"{field}__startswith": path}) if path else qs.none()
