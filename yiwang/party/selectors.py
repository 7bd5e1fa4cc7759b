from __future__ import annotations

from yiwang.regions.models import Level

from .models import OrgKind, PartyOrganization


def grid_coverage(*, regions) -> list[dict]:
    """Every grid in `regions` with its grid party branch, or none (党组织覆盖)."""
    grids = list(regions.filter(level=Level.GRID).select_related("parent").order_by("path"))
    branches: dict[int, list[PartyOrganization]] = {}
    for org in PartyOrganization.objects.filter(region__in=grids, kind=OrgKind.GRID_BRANCH):
        branches.setdefault(org.region_id, []).append(org)
    return [
        {
            "grid_code": g.code,
            "grid_name": g.name,
            "community_name": g.parent.name if g.parent_id else "",
            "covered": g.pk in branches,
            "organizations": [o.name for o in branches.get(g.pk, [])],
        }
        for g in grids
    ]


def coverage_summary(rows: list[dict]) -> dict:
    covered = sum(1 for r in rows if r["covered"])
    return {"grids": len(rows), "covered": covered, "uncovered": len(rows) - covered,
            "rate": round(covered / len(rows), 4) if rows else None}


