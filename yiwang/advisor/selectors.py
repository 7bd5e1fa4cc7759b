"""Reads for the advisor: a community's buildings with households and workload, today's division,
the advice itself, and the proposals a user may see.

A building's workload = cases × w_cases + key persons under care × w_care + places × w_places
(weights `YIWANG_ADVISOR_WEIGHTS`). Cases (reported in the last `YIWANG_ADVISOR_CASE_DAYS` days)
and places count for the building nearest to them (the one whose Voronoi cell holds them); a key
person under care is a resident of the building tagged with a group some active care plan above the
community covers. Buildings without coordinates cannot be placed and stay where they are.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

import shapely
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.cases.models import OPEN_STATUSES, Case
from yiwang.core.scope import Action, ancestor_paths, role_allows, scope_path
from yiwang.gridwork.models import CarePlan
from yiwang.regions.models import GridKind, Level, Region
from yiwang.registry.models import Building, Household, Person, PersonTag, Place

from . import engine
from .models import DivisionProposal, ProposalStatus


class AdviceRefused(ValueError):
    """Bad input for the advisor, in words naming what is wrong."""


@dataclass
class CommunityData:
    community: Region
    buildings: list[engine.Building]
    outline: object  # shapely geometry or None
    grids: list[Region]  # today's grids
    unplaced: list[str] = field(default_factory=list)  # building codes without coordinates
    building_ids: dict[str, int] = field(default_factory=dict)

    @property
    def basis(self) -> str:
        """A fingerprint of today's division: which grid each building is in."""
        text = ";".join(f"{b.code}={b.grid}" for b in sorted(self.buildings, key=lambda b: b.code))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class CommunityAdvice:
    community: Region
    current: engine.Division
    proposal: engine.Division
    micro_grids: dict[str, list[engine.Grid]]
    micro_problem: dict[str, str]
    data: CommunityData


def household_range(kind: str = "grid") -> tuple[int, int]:
    low, high = settings.YIWANG_ADVISOR_GRID_HOUSEHOLDS if kind == "grid" else settings.YIWANG_ADVISOR_MICRO_GRID_HOUSEHOLDS
    return int(low), int(high)


def weights() -> dict[str, float]:
    given = getattr(settings, "YIWANG_ADVISOR_WEIGHTS", {}) or {}
    return {"cases": float(given.get("cases", 1.0)), "care": float(given.get("care", 3.0)), "places": float(given.get("places", 2.0))}


def region_for_advice(code: str) -> Region:
    """The community or street named by `code`, or AdviceRefused naming the problem."""
    code = (code or "").strip()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise AdviceRefused(gettext("区域代码 %(code)s 不存在") % {"code": code or gettext("（空）")})
    if region.level not in (Level.COMMUNITY, Level.STREET):
        raise AdviceRefused(gettext("%(name)s（%(code)s）是%(level)s，网格优化只对社区或街道")
                            % {"name": region.name, "code": code, "level": Level(region.level).label})
    return region


def communities_of(region: Region) -> list[Region]:
    if region.level == Level.COMMUNITY:
        return [region]
    return list(Region.objects.filter(path__startswith=region.path, level=Level.COMMUNITY).order_by("path"))


def _geometries(boundaries: list[str]) -> list:
    parsed = [shapely.from_geojson(text, on_invalid="ignore") for text in boundaries if text]
    return [shapely.make_valid(g) for g in parsed if g is not None and not g.is_empty]


def _outline(region: Region, grids: list[Region], dedicated: list[Region]):
    """What the regular grids may cover: the community less its dedicated grids."""
    geometries = _geometries([region.boundary] if region.boundary else [g.boundary for g in grids])
    if not geometries:
        return None
    outline = shapely.union_all(geometries)
    carved = _geometries([g.boundary for g in dedicated])
    if carved:
        outline = shapely.difference(outline, shapely.union_all(carved))
    return None if outline.is_empty else shapely.make_valid(outline)


def community_data(community: Region) -> CommunityData:
    """The community's buildings with households and workload, and today's grids."""
    all_grids = list(Region.objects.filter(parent=community, level=Level.GRID).order_by("code"))
    # Dedicated grids (a school, a hospital) are drawn round their unit, not re-divided by households.
    grids = [g for g in all_grids if g.grid_kind != GridKind.DEDICATED]
    dedicated = [g for g in all_grids if g.grid_kind == GridKind.DEDICATED]
    grid_of_region = {g.pk: g.code for g in grids}
    for pk, parent_id in Region.objects.filter(path__startswith=community.path, level=Level.MICRO_GRID).values_list("pk", "parent_id"):
        if parent_id in grid_of_region:
            grid_of_region[pk] = grid_of_region[parent_id]
    dedicated_paths = tuple(g.path for g in dedicated)
    rows = [row for row in Building.objects.filter(region__path__startswith=community.path).order_by("code")
            .values_list("pk", "code", "lon", "lat", "region_id", "region__path") if not row[5].startswith(dedicated_paths or ("\0",))]
    households = dict(Household.objects.filter(house__building__region__path__startswith=community.path)
                      .values_list("house__building_id").annotate(n=Count("pk")).values_list("house__building_id", "n"))
    placed = [row for row in rows if row[2] is not None and row[3] is not None]
    unplaced = [row[1] for row in rows if row[2] is None or row[3] is None]
    work = {row[0]: 0.0 for row in placed}
    w = weights()
    if placed:
        probe = [engine.Building(code=r[1], lon=r[2], lat=r[3], households=0, workload=0, grid="") for r in placed]
        since = timezone.now() - timedelta(days=int(settings.YIWANG_ADVISOR_CASE_DAYS))
        points = list(Case.objects.filter(region__path__startswith=community.path, reported_at__gte=since, lon__isnull=False,
                                          lat__isnull=False).values_list("lon", "lat"))
        points_places = list(Place.objects.filter(region__path__startswith=community.path, lon__isnull=False, lat__isnull=False)
                             .values_list("lon", "lat"))
        for weight, found in ((w["cases"], points), (w["places"], points_places)):
            if found and weight:
                for index in engine.nearest_building(probe, [p[0] for p in found], [p[1] for p in found]):
                    work[placed[index][0]] += weight
        groups = set(CarePlan.objects.filter(active=True, region__path__in=ancestor_paths(community.path)).values_list("group", flat=True))
        if groups and w["care"]:
            cared = (Person.objects.filter(region__path__startswith=community.path, household__house__building__isnull=False,
                                           pk__in=PersonTag.objects.filter(tag__in=groups).values("person_id"))
                     .values_list("household__house__building_id").annotate(n=Count("pk")).values_list("household__house__building_id", "n"))
            for building_id, n in cared:
                if building_id in work:
                    work[building_id] += n * w["care"]
    buildings = [engine.Building(code=code, lon=lon, lat=lat, households=households.get(pk, 0), workload=round(work[pk], 2),
                                 grid=grid_of_region.get(region_id, "")) for pk, code, lon, lat, region_id, _path in placed]
    return CommunityData(community=community, buildings=buildings, outline=_outline(community, grids, dedicated), grids=grids,
                         unplaced=unplaced, building_ids={r[1]: r[0] for r in placed})


def advise_community(community: Region, *, grid_range: tuple[int, int] | None = None, micro_range: tuple[int, int] | None = None,
                     seconds: float = engine.SOLVER_SECONDS, with_micro_grids: bool = True) -> CommunityAdvice:
    """Today's division and the advisor's proposal for one community (AdviceRefused when none fits)."""
    low, high = grid_range or household_range("grid")
    data = community_data(community)
    if not data.buildings:
        raise AdviceRefused(gettext("%(name)s（%(code)s）没有带坐标的楼栋，无法给出划分建议") % {"name": community.name, "code": community.code})
    try:
        proposal = engine.divide(data.buildings, low=low, high=high, outline=data.outline,
                                 labels=[g.code for g in data.grids], seconds=seconds)
    except engine.NoDivision as error:
        raise AdviceRefused(gettext("%(name)s（%(code)s）：%(error)s") % {"name": community.name, "code": community.code, "error": error}) from error
    current = engine.current_division(data.buildings, outline=data.outline)
    micro, problems = micro_grids_of(data, proposal, micro_range=micro_range, seconds=seconds) if with_micro_grids else ({}, {})
    return CommunityAdvice(community=community, current=current, proposal=proposal, micro_grids=micro, micro_problem=problems, data=data)


def micro_grids_of(data: CommunityData, division: engine.Division, *, micro_range=None, seconds=engine.SOLVER_SECONDS):
    """Micro-grids inside each proposed grid (advice only: a grid whose buildings cannot be cut into
    the micro-grid range says why instead)."""
    low, high = micro_range or household_range("micro")
    by_code = {b.code: b for b in data.buildings}
    result: dict[str, list[engine.Grid]] = {}
    problems: dict[str, str] = {}
    for grid in division.grids:
        members = [engine.Building(code=b.code, lon=b.lon, lat=b.lat, households=b.households, workload=b.workload, grid="")
                   for b in (by_code[c] for c in grid.buildings)]
        try:
            micro = engine.divide(members, low=low, high=high, outline=None, labels=[], new_label="微网格", seconds=seconds)
        except engine.NoDivision as error:
            problems[grid.code] = str(error)
            continue
        result[grid.code] = micro.grids
    return result, problems


def advice_as_json(advices: list[CommunityAdvice]) -> dict:
    """The command's --json object (documented in docs/advisor.md)."""
    proposal, current_loads, proposed_loads, moved = [], [], [], 0
    for advice in advices:
        for grid in advice.proposal.grids:
            proposal.append({
                "community": advice.community.code, "grid": grid.code, "households": grid.households, "buildings": grid.buildings,
                "workload": grid.workload, "connected": grid.connected,
                "micro_grids": [{"households": m.households, "buildings": m.buildings, "workload": m.workload, "connected": m.connected}
                                for m in advice.micro_grids.get(grid.code, [])],
                "micro_grid_problem": advice.micro_problem.get(grid.code, ""),
            })
        current_loads += [g.workload for g in advice.current.grids]
        proposed_loads += [g.workload for g in advice.proposal.grids]
        moved += advice.proposal.moved
    return {
        "region": advices[0].community.code if len(advices) == 1 else None,
        "proposal": proposal,
        "current_spread": engine.spread_of(current_loads),
        "proposed_spread": engine.spread_of(proposed_loads),
        "moved": moved,
        "methods": {a.community.code: a.proposal.method for a in advices},
        "unplaced_buildings": [code for a in advices for code in a.data.unplaced],
    }


# Who may see and decide ----------------------------------------------------------------------------


def street_of(community: Region) -> Region | None:
    return Region.objects.filter(path__in=ancestor_paths(community.path), level=Level.STREET).first()


def may_propose(user, community: Region) -> bool:
    """Street staff of the community's street, and those above it."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    street = street_of(community)
    prefix = scope_path(user)
    return bool(street and prefix and role_allows(user, Action.CHANGE) and street.path.startswith(prefix))


def may_decide(user, proposal: DivisionProposal) -> bool:
    """Strictly above the street that proposed (the district approves a street's proposal), never the proposer."""
    if proposal.status != ProposalStatus.PROPOSED or not may_propose(user, proposal.community):
        return False
    if proposal.proposed_by_id and proposal.proposed_by_id == getattr(user, "pk", None):
        return False
    if user.is_superuser:
        return True
    street = street_of(proposal.community)
    return len(scope_path(user) or "") < len(street.path)


def communities_for(user) -> list[Region]:
    """The communities whose grids the user may re-divide."""
    if not may_see_advisor(user):
        return []
    return list(Region.objects.restrict(user, Action.VIEW).filter(level=Level.COMMUNITY).order_by("path"))


def may_see_advisor(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    prefix = scope_path(user)
    if not prefix or not role_allows(user, Action.CHANGE):
        return False
    # Street level and above: the scope is a street or something above a street.
    return Region.objects.filter(path=prefix, level__in=[Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.STREET]).exists()


def proposals_for(user, community: Region | None = None):
    rows = DivisionProposal.objects.restrict(user, Action.VIEW).select_related("community", "proposed_by", "decided_by")
    if community is not None:
        rows = rows.filter(community=community)
    return rows


def open_case_points(community: Region) -> list[tuple[int, float | None, float | None, int, int | None]]:
    return list(Case.objects.filter(region__path__startswith=community.path, status__in=sorted(OPEN_STATUSES))
                .values_list("pk", "lon", "lat", "region_id", "micro_grid_id"))


# What the pages draw ------------------------------------------------------------------------------


def _features(shapes: dict[str, object], division: engine.Division, names: dict[str, str]) -> dict:
    figures = {g.code: g for g in division.grids}
    features = []
    for code, geometry in sorted(shapes.items()):
        if geometry is None or geometry.is_empty:
            continue
        grid = figures.get(code)
        features.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(geometry)), "properties": {
            "code": code, "name": names.get(code, code), "households": grid.households if grid else 0,
            "workload": grid.workload if grid else 0, "connected": grid.connected if grid else True}})
    return {"type": "FeatureCollection", "features": features}


def map_layers(data: CommunityData, current: engine.Division, proposed: engine.Division) -> dict:
    """Today's grids (their saved boundaries) and the proposal's (its buildings' cells), with the
    buildings coloured by grid on each, for the side-by-side maps."""
    names = {g.code: g.name for g in data.grids}
    today = {g.code: shapely.from_geojson(g.boundary, on_invalid="ignore") for g in data.grids if g.boundary}
    outlines = engine.grid_outlines(data.buildings, proposed.assignment, outline=data.outline) if data.buildings else {}
    return {
        "current": _features(today, current, names),
        "proposed": _features(outlines, proposed, names),
        "buildings": [{"code": b.code, "lon": b.lon, "lat": b.lat, "households": b.households, "current": b.grid,
                       "proposed": proposed.assignment.get(b.code, b.grid)} for b in data.buildings],
    }
