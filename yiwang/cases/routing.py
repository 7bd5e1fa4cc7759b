"""Routing: point → grid → matter → tier → handling unit, with the reasons written down.

The answer is stored as a `RoutingDecision` row by the services, so "why did this go there?"
always has an answer that does not depend on today's catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yiwang.duties.admission import grid_admission
from yiwang.matters.models import Department, MatterTypeVersion, Tier
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region, ancestor_paths

from .models import LEVEL_UP, Level

TIER_LEVEL = {Tier.A: Level.GRID, Tier.B: Level.COMMUNITY, Tier.C: Level.STREET}
REGION_LEVEL = {Level.GRID: RegionLevel.GRID, Level.COMMUNITY: RegionLevel.COMMUNITY, Level.STREET: RegionLevel.STREET}


@dataclass
class Route:
    tier: str
    level: str
    region: Region
    department: Department | None = None
    reasons: list[str] = field(default_factory=list)
    # Set when a skip-level rule (skiplevel.py) sent the case past its tier's first level.
    skip_rule: object | None = None
    copies: list[Region] = field(default_factory=list)


def ancestors(region: Region) -> dict[str, Region]:
    """The region and its ancestors, by level."""
    from yiwang.regions.selectors import cached_regions

    codes = [code for code in region.path.strip("/").split("/") if code]
    return {r.level: r for r in cached_regions(codes=codes).values()}


def department_for(kind: str, region: Region) -> Department | None:
    """The active department of `kind` whose service area holds `region`, the nearest area first."""
    if not kind:
        return None
    paths = ancestor_paths(region.path)
    candidates = Department.objects.filter(kind=kind, active=True, areas__path__in=paths).values_list("pk", "areas__path")
    best = max(candidates, key=lambda row: len(row[1]), default=None)
    return Department.objects.get(pk=best[0]) if best else None



def route(*, matter_version: MatterTypeVersion, grid: Region, how_found: str) -> Route:
    snapshot = matter_version.snapshot
    reasons = [how_found, f"事项 {snapshot['code']} {snapshot['name']}（版本 {matter_version.number}）默认 {snapshot['default_tier']} 类"]
    tier = snapshot["default_tier"]
    if tier == Tier.A:
        # Admission reads the grid task list in force above the grid (duties.admission).
        admission = grid_admission(grid=grid, matter_type=matter_version.matter)
        reasons.append(admission.reason)
        if not admission.admitted:
            tier = Tier.B
            reasons.append("改为 B 类由社区协调")
    level = TIER_LEVEL[tier]
    by_level = ancestors(grid)
    region = by_level.get(REGION_LEVEL[level])
    while region is None and level in LEVEL_UP and level != Level.STREET:
        reasons.append(f"{grid.name} 没有上级{Level(level).label}，由更高一级办理")
        level = LEVEL_UP[level]
        region = by_level.get(REGION_LEVEL[level])
    if region is None:
        region = grid
        reasons.append(f"没有找到上级街道，由 {grid.name} 所在单位办理")
    reasons.append(f"{Tier(tier).label}：由 {region.name} 办理")
    department = None
    if level == Level.STREET:
        department = department_for(snapshot["department_kind"], grid)
        if department is not None:
            reasons.append(f"建议派遣 {department.name}：其服务区域包含该网格")
        elif snapshot["department_kind"]:
            reasons.append("没有服务该区域的对口部门，由街道自行办理")
    return Route(tier=tier, level=level, region=region, department=department, reasons=reasons)


def escalation(*, case, reason: str) -> Route:
    """Where a case goes when it is sent up one level."""
    current = Level(case.level)
    if current not in LEVEL_UP:
        raise ValueError("a case with a department cannot be sent further up")
    level = LEVEL_UP[current]
    reasons = [f"由{current.label}上报至{level.label}:{reason}"]
    if level == Level.DEPARTMENT:
        street = ancestors(case.region).get(RegionLevel.STREET) or case.handling_region
        department = department_for(case.matter_version.snapshot["department_kind"], case.region)
        if department is None:
            raise ValueError("no department serves this area for this matter; the street must handle it or summon departments")
        reasons.append(f"{department.name} 服务区域包含该网格")
        return Route(tier=Tier.C, level=level, region=street, department=department, reasons=reasons)
    region = ancestors(case.region).get(REGION_LEVEL[level]) or case.handling_region
    tier = {Level.COMMUNITY: Tier.B, Level.STREET: Tier.C}[level]
    return Route(tier=tier, level=level, region=region, reasons=reasons)
