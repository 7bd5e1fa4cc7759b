"""The grids as GeoJSON to pick a point on (no map tiles on the intranet): the staff's own grids,
and every grid's outline and name for residents."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from yiwang.core.pages import require_staff
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region


def scoped_grids(user):
    """The grids in the user's scope, by code."""
    return Region.objects.restrict(user).filter(level=RegionLevel.GRID).order_by("code")


def _grid_collection(regions) -> dict:
    features = [{"type": "Feature", "geometry": r.geometry, "properties": {"code": r.code, "name": r.name}}
                for r in regions.exclude(boundary="").only("code", "name", "boundary")]
    return {"type": "FeatureCollection", "features": features}


@login_required
@require_GET
def staff_grids(request):
    """The grids in the user's scope as GeoJSON, to pick a point on (no map tiles on the intranet)."""
    require_staff(request.user)
    return JsonResponse(_grid_collection(scoped_grids(request.user)))


@require_GET
def public_grids(request):
    """Every grid's outline and name, for the residents' point picker. Grid boundaries and names
    are published to residents anyway (网格公示); nothing else about a grid is sent."""
    response = JsonResponse(_grid_collection(Region.objects.filter(level=RegionLevel.GRID).order_by("code")))
    response["Cache-Control"] = "public, max-age=300"
    return response
