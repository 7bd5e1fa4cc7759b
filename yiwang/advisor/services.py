"""Writes for the advisor: propose a re-division, approve it (apply), reject it.

Like duty-list changes (`duties/services.py`), a street proposes and the level above decides, never
the proposer; a proposal made on a division that has since changed is refused. Approval applies the
whole division in one transaction, with the old one kept as a `DivisionSnapshot`:

- each proposed grid's boundary becomes the union of its buildings' Voronoi cells, clipped to the
  community (less its dedicated grids); micro-grids are clipped to their grid's new boundary; a grid
  left with no buildings keeps its row (cases and history point at it) with an empty boundary;
- the moved buildings' houses, households and residents, and the places nearest to them, follow
  their building; other rows of an emptied grid go to the grid that took most of its households;
- force assignments of an emptied grid (or of a micro-grid left with no area) follow the same way;
- open cases follow the building nearest to them (each saved, so the rollups move with it).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.cases.models import Case
from yiwang.core import audit
from yiwang.core.audit import account
from yiwang.forces.models import Assignment
from yiwang.regions.models import GridKind, Level, Region
from yiwang.regions.signals import boundary_changes_batched
from yiwang.registry.models import Building, Component, House, Household, Person, Place

from . import engine, selectors
from .models import DivisionProposal, DivisionSnapshot, ProposalStatus

NEW_GRID_PREFIX = "新网格"


def _check_plan(data: selectors.CommunityData, plan: dict[str, str]) -> engine.Division:
    """The plan's figures, or ValidationError naming every building and grid that is wrong."""
    problems: list[str] = []
    known = {b.code for b in data.buildings}
    unknown = sorted(set(plan) - known)
    missing = sorted(known - set(plan))
    if unknown:
        problems.append(gettext("这些楼栋不在本社区可划分的楼栋中：%(codes)s") % {"codes": "、".join(unknown[:10])})
    if missing:
        problems.append(gettext("这些楼栋没有分到网格：%(codes)s") % {"codes": "、".join(missing[:10])})
    grid_codes = {g.code for g in data.grids}
    bad_grids = sorted({code for code in plan.values() if code not in grid_codes and not code.startswith(NEW_GRID_PREFIX)})
    if bad_grids:
        problems.append(gettext("网格 %(codes)s 不是本社区的网格") % {"codes": "、".join(bad_grids)})
    if problems:
        raise ValidationError({"plan": problems})
    division = engine.regroup(data.buildings, plan, outline=data.outline)
    low, high = selectors.household_range("grid")
    for grid in division.grids:
        if not grid.connected:
            problems.append(gettext("网格 %(grid)s 的楼栋不相邻（不连通）") % {"grid": grid.code})
        if not low <= grid.households <= high:
            problems.append(gettext("网格 %(grid)s 有 %(n)s 户，不在每格 %(low)s–%(high)s 户的范围内")
                            % {"grid": grid.code, "n": grid.households, "low": low, "high": high})
    if problems:
        raise ValidationError({"plan": problems})
    return division


def _figures(data: selectors.CommunityData, division: engine.Division) -> dict:
    current = engine.current_division(data.buildings, outline=data.outline)
    return {
        "current_spread": current.spread, "proposed_spread": division.spread, "moved": division.moved,
        "grids": [{"grid": g.code, "households": g.households, "workload": g.workload, "buildings": len(g.buildings)} for g in division.grids],
    }


def propose_division(*, community: Region, plan: dict[str, str], reason: str, acting_user) -> DivisionProposal:
    """Record a proposed division of `community` (building code → grid code) for the level above."""
    with transaction.atomic():
        community = Region.objects.select_for_update().get(pk=community.pk)
        if community.level != Level.COMMUNITY:
            raise ValidationError({"community": gettext("%(name)s不是社区") % {"name": community.name}})
        if not selectors.may_propose(acting_user, community):
            raise PermissionDenied(gettext("您无权调整%(name)s的网格（须为所在街道或以上的工作人员）") % {"name": community.name})
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": gettext("请写明调整理由")})
        data = selectors.community_data(community)
        plan = {str(k): str(v) for k, v in (plan or {}).items()}
        division = _check_plan(data, plan)
        proposal = DivisionProposal.objects.create(community=community, plan=plan, basis=data.basis, figures=_figures(data, division),
                                                   reason=reason, proposed_by=account(acting_user))
        audit.record(actor=acting_user, action="advisor.propose", target=proposal,
                     detail={"community": community.code, "moved": division.moved, "grids": len(division.grids)})
        return proposal


def reject_division(proposal: DivisionProposal, *, acting_user, note: str) -> DivisionProposal:
    with transaction.atomic():
        proposal = DivisionProposal.objects.select_for_update().select_related("community").get(pk=proposal.pk)
        _require_decide(acting_user, proposal)
        note = (note or "").strip()
        if not note:
            raise ValidationError({"note": gettext("驳回须写明理由，便于街道修改后重新提出")})
        proposal.status, proposal.decided_by, proposal.decided_at, proposal.decision_note = (
            ProposalStatus.REJECTED, account(acting_user), timezone.now(), note)
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit.record(actor=acting_user, action="advisor.reject", target=proposal, detail={"community": proposal.community.code, "note": note})
        return proposal


def _require_decide(user, proposal: DivisionProposal) -> None:
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError({"status": gettext("该提案%(status)s，不能再审批") % {"status": ProposalStatus(proposal.status).label}})
    if proposal.proposed_by_id and proposal.proposed_by_id == getattr(user, "pk", None):
        raise PermissionDenied(gettext("不能审批自己提出的调整"))
    if not selectors.may_decide(user, proposal):
        raise PermissionDenied(gettext("%(name)s的网格调整须由街道的上级审批") % {"name": proposal.community.name})


def approve_division(proposal: DivisionProposal, *, acting_user, note: str = "") -> DivisionProposal:
    """Apply the proposal: boundaries, people, places, forces and open cases follow, in one transaction."""
    with transaction.atomic(), boundary_changes_batched():
        proposal = DivisionProposal.objects.select_for_update().get(pk=proposal.pk)
        community = Region.objects.select_for_update().get(pk=proposal.community_id)
        proposal.community = community
        _require_decide(acting_user, proposal)
        data = selectors.community_data(community)
        if data.basis != proposal.basis:
            raise ValidationError({"basis": gettext("不能批准：提出后本社区的网格划分已有变化，请驳回本提案，由街道重新提出")})
        plan = dict(proposal.plan)
        _check_plan(data, plan)
        summary = _apply(community, data, plan)
        proposal.status, proposal.decided_by, proposal.decided_at, proposal.decision_note = (
            ProposalStatus.APPROVED, account(acting_user), timezone.now(), (note or "").strip())
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        DivisionSnapshot.objects.create(community=community, proposal=proposal, data=summary.pop("snapshot"))
        audit.record(actor=acting_user, action="advisor.approve", target=proposal, detail={"community": community.code, **summary})
        return proposal


def _next_grid_codes(community: Region, count: int) -> list[str]:
    taken = set(Region.objects.filter(code__startswith=community.code).values_list("code", flat=True))
    codes, number = [], 1
    while len(codes) < count:
        code = f"{community.code}{number:03d}"
        if code not in taken:
            codes.append(code)
        number += 1
        if number > 999:
            raise ValidationError({"plan": gettext("%(name)s的网格代码已用完") % {"name": community.name}})
    return codes


def _apply(community: Region, data: selectors.CommunityData, plan: dict[str, str]) -> dict:
    grids = {g.code: g for g in Region.objects.select_for_update().filter(parent=community, level=Level.GRID).exclude(grid_kind=GridKind.DEDICATED)}
    micro_grids = list(Region.objects.select_for_update().filter(parent__in=list(grids.values()), level=Level.MICRO_GRID))
    snapshot = {
        "grids": {code: {"name": g.name, "boundary": g.boundary, "actual_households": g.actual_households} for code, g in grids.items()},
        "micro_grids": {m.code: {"name": m.name, "boundary": m.boundary} for m in micro_grids},
        "buildings": {b.code: b.grid for b in data.buildings},
        "assignments": [],
        "open_cases": {},
    }
    # New grids get the community's next free codes.
    labels = sorted({code for code in plan.values() if code not in grids})
    for label, code in zip(labels, _next_grid_codes(community, len(labels))):
        number = int(code[-3:])
        grids[code] = Region.objects.create(parent=community, level=Level.GRID, code=code, grid_kind=GridKind.REGULAR,
                                            name=gettext("%(community)s第%(n)s网格") % {"community": community.name, "n": number})
        plan = {b: (code if g == label else g) for b, g in plan.items()}
    division = engine.regroup(data.buildings, plan, outline=data.outline)
    outlines = engine.grid_outlines(data.buildings, plan, outline=data.outline)
    households = {g.code: g.households for g in division.grids}
    for code, grid in grids.items():
        geometry = outlines.get(code)
        grid.boundary = shapely.to_geojson(_polygons(geometry)) if geometry is not None and shapely.area(geometry) > 0 else ""
        grid.actual_households = households.get(code, 0)
        grid.save(update_fields=["boundary", "actual_households"])
    emptied = [code for code in grids if code not in households]
    for micro in micro_grids:
        parent = grids[next(code for code, g in grids.items() if g.pk == micro.parent_id)]
        shape = shapely.from_geojson(micro.boundary, on_invalid="ignore") if micro.boundary else None
        new = outlines.get(parent.code)
        clipped = shapely.intersection(shapely.make_valid(shape), new) if shape is not None and new is not None else None
        clipped = clipped if clipped is not None and shapely.area(clipped) > 0 else None
        micro.boundary = shapely.to_geojson(_polygons(clipped)) if clipped is not None else ""
        micro.save(update_fields=["boundary"])

    # Who takes an emptied grid's rows: the grid that took most of its households (or of its buildings).
    taken: dict[str, Counter] = {}
    for b in data.buildings:
        taken.setdefault(b.grid, Counter())[plan[b.code]] += b.households + 1
    largest = max(households, key=households.get) if households else None
    successor = {code: (taken[code].most_common(1)[0][0] if code in taken else largest) for code in emptied}
    grid_by_id = {g.pk: code for code, g in grids.items()}
    micro_parent = {m.pk: grid_by_id[m.parent_id] for m in micro_grids}
    emptied_ids = [grids[c].pk for c in emptied] + [m.pk for m in micro_grids if micro_parent[m.pk] in emptied]

    moved_buildings: dict[str, list[int]] = {}
    for b in data.buildings:
        if plan[b.code] != b.grid:
            moved_buildings.setdefault(plan[b.code], []).append(data.building_ids[b.code])
    counts = Counter()
    for code, building_ids in moved_buildings.items():
        target = grids[code]
        counts["buildings"] += Building.objects.filter(pk__in=building_ids).update(region=target)
        counts["houses"] += House.objects.filter(building_id__in=building_ids).update(region=target)
        counts["households"] += Household.objects.filter(house__building_id__in=building_ids).update(region=target)
        counts["persons"] += Person.objects.filter(household__house__building_id__in=building_ids).update(region=target)
    # Places follow the building nearest to them.
    places = list(Place.objects.filter(region__path__startswith=community.path, lon__isnull=False, lat__isnull=False)
                  .exclude(region__grid_kind=GridKind.DEDICATED).exclude(region__parent__grid_kind=GridKind.DEDICATED)
                  .values_list("pk", "lon", "lat", "region_id"))
    nearest = engine.nearest_building(data.buildings, [p[1] for p in places], [p[2] for p in places])
    for (pk, _lon, _lat, region_id), index in zip(places, nearest):
        target = grids[plan[data.buildings[index].code]]
        if grid_by_id.get(region_id, micro_parent.get(region_id)) != target.code:
            counts["places"] += Place.objects.filter(pk=pk).update(region=target)
    # Whatever else an emptied grid held goes to its successor.
    for code in emptied:
        if successor[code] is None:
            continue
        ids = [grids[code].pk] + [m.pk for m in micro_grids if micro_parent[m.pk] == code]
        target = grids[successor[code]]
        for model in (Building, House, Household, Person, Place, Component):
            counts[model._meta.model_name + "s_of_emptied"] += model.objects.filter(region_id__in=ids).update(region=target)

    # Forces: an emptied grid's (or an emptied micro-grid's) current assignments follow its successor.
    today = date.today()
    gone_micro = {m.pk: micro_parent[m.pk] for m in micro_grids if not m.boundary}
    for assignment in Assignment.objects.select_for_update().filter(Q(grid_id__in=emptied_ids) | Q(grid_id__in=list(gone_micro)),
                                                                      Q(ends_on__isnull=True) | Q(ends_on__gte=today)):
        old_code = grid_by_id.get(assignment.grid_id) or micro_parent.get(assignment.grid_id)
        target_code = successor.get(old_code, old_code)
        if target_code is None:
            continue
        snapshot["assignments"].append([assignment.pk, assignment.grid_id])
        assignment.grid = grids[target_code]
        assignment.save(update_fields=["grid"])
        counts["assignments"] += 1

    # Open cases follow the building nearest to them; those without a place follow an emptied grid's successor.
    open_cases = selectors.open_case_points(community)
    located = [c for c in open_cases if c[1] is not None and c[2] is not None]
    nearest = engine.nearest_building(data.buildings, [c[1] for c in located], [c[2] for c in located])
    target_of: dict[int, str] = {}
    for case, index in zip(located, nearest):
        target_of[case[0]] = plan[data.buildings[index].code]
    for case in open_cases:
        if case[0] not in target_of:
            old = grid_by_id.get(case[3])
            if old in successor and successor[old]:
                target_of[case[0]] = successor[old]
    for case in Case.objects.select_for_update().filter(pk__in=list(target_of)).exclude(region__grid_kind=GridKind.DEDICATED):
        if case.region_id not in grid_by_id:
            continue  # a case on the community itself or above stays where it is
        target = grids[target_of[case.pk]]
        micro_stays = case.micro_grid_id is not None and micro_parent.get(case.micro_grid_id) == target.code and case.micro_grid_id not in gone_micro
        if case.region_id == target.pk and (case.micro_grid_id is None or micro_stays):
            continue
        snapshot["open_cases"][str(case.pk)] = [case.region_id, case.micro_grid_id, case.handling_region_id]
        fields = ["region", "micro_grid"]
        if case.handling_region_id == case.region_id:
            case.handling_region = target
            fields.append("handling_region")
        case.region, case.micro_grid = target, (case.micro_grid if micro_stays else None)
        case.save(update_fields=fields)
        counts["open_cases"] += 1
    return {"snapshot": snapshot, "moved_households": division.moved, "emptied_grids": emptied,
            "new_grids": [c for c in grids if c not in snapshot["grids"]], **dict(counts)}


def _polygons(geometry):
    """Only the polygonal parts of an intersection (it may add stray lines or points)."""
    parts = [p for p in shapely.get_parts(shapely.get_parts(geometry)) if shapely.get_type_id(p) in (3, 6)]
    polygons = [q for p in parts for q in shapely.get_parts(p)]
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
