from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from yiwang.api.common import get_scoped, scoped
from yiwang.api.params import Page

from . import selectors
from .basemap import parse_bbox
from .coords import CRS_CHOICES
from .lookup import locate
from .models import Region

router = Router(tags=["regions"])


class RegionOut(Schema):
    id: int
    code: str
    name: str
    level: str
    level_label: str
    parent_code: str | None
    path: str
    grid_kind: str
    dedicated_kind: str
    target_households: int | None
    actual_households: int | None
    bbox: list[float] | None

    @staticmethod
    def resolve_level_label(obj):
        return obj.get_level_display()

    @staticmethod
    def resolve_parent_code(obj):
        return obj.path.strip("/").split("/")[-2] if obj.parent_id else None

    @staticmethod
    def resolve_bbox(obj):
        return None if obj.min_lon is None else [obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat]


class RegionDetailOut(RegionOut):
    geometry: dict | None
    figures: dict
    on_duty: list[dict]
    ancestors: list[dict]

    @staticmethod
    def resolve_ancestors(obj):
        return obj.ancestors_visible


class RegionFilter(Schema):
    level: str | None = None
    parent: str | None = None
    q: str | None = None


@router.get("", response=list[RegionOut])
@paginate(Page)
def list_regions(request, filters: Query[RegionFilter]):
    qs = scoped(request, Region)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.parent:
        qs = qs.filter(parent__code=filters.parent)
    if filters.q:
        qs = qs.filter(Q(name__contains=filters.q) | Q(code__startswith=filters.q))
    return qs


def _visible_ancestors(request, region: Region) -> list[dict]:
    codes = region.path.strip("/").split("/")[:-1]
    return list(scoped(request, Region).filter(code__in=codes).order_by("depth").values("code", "name", "level"))


@router.get("/{code}", response=RegionDetailOut)
def get_region(request, code: str):
    region = get_scoped(request, Region, code=code)
    region.figures = selectors.figures_for(region).as_dict()
    region.on_duty = selectors.on_duty(region)
    region.ancestors_visible = _visible_ancestors(request, region)
    return region


@router.get("/{code}/children", response=dict)
def region_children(request, code: str):
    """The children of a unit as a GeoJSON FeatureCollection with their figures, for the map."""
    region = get_scoped(request, Region, code=code)
    figures = selectors.figures_by_child(region)
    features = []
    children = scoped(request, Region).filter(parent=region).annotate(
        has_children=Exists(Region.objects.filter(parent=OuterRef("pk")))
    ).order_by("code")
    for child in children:
        features.append({
            "type": "Feature",
            "geometry": child.geometry,
            "properties": {
                "code": child.code, "name": child.name, "level": child.level, "level_label": child.get_level_display(),
                "grid_kind": child.grid_kind, "has_children": child.has_children,
                **figures.get(child.code, selectors.Figures()).as_dict(),
            },
        })
    return {"type": "FeatureCollection", "parent": {"code": region.code, "name": region.name, "level": region.level}, "features": features}


class LocateOut(Schema):
    grid: RegionOut | None
    micro_grid: RegionOut | None


@router.get("/locate/point", response=LocateOut)
def locate_point(request, lon: float, lat: float, crs: str = "wgs84"):
    """Which grid and micro-grid hold this point (WGS-84, GCJ-02 or BD-09), within your scope."""
    if crs not in CRS_CHOICES:
        raise ValidationError({"crs": f"未知坐标系 {crs!r}，可选 {', '.join(CRS_CHOICES)}"})
    found = locate(lon, lat, crs=crs)
    visible = scoped(request, Region)
    return {
        "grid": visible.filter(pk=found.grid_id).first() if found.grid_id else None,
        "micro_grid": visible.filter(pk=found.micro_grid_id).first() if found.micro_grid_id else None,
    }



@router.get("/basemap/outlines", response=dict)
def basemap_outlines(request, bbox: str | None = None):
    """Street, community and grid outlines with names in your scope, for the maps' own base."""
    features, truncated = selectors.outlines(scoped(request, Region), parse_bbox(bbox))
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


@router.get("/basemap/public-outlines", response=dict, auth=None)
def public_basemap_outlines(request, response: HttpResponse, bbox: str | None = None):
    """Every street, community and grid outline with its name, for residents' maps: these are
    published (网格公示); nothing else about a region is sent."""
    features, truncated = selectors.outlines(Region.objects.all(), parse_bbox(bbox))
    response["Cache-Control"] = "public, max-age=300"
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}
