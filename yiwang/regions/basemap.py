"""The maps' base layer, from the settings: what the shared map script (web/mapbase.js) is told.

A tile server is given as an XYZ template (`https://tiles.example/{z}/{x}/{y}.png`) or as a WMTS
endpoint with its layer, matrix set and format. A WMTS KVP GetTile request addresses tiles as XYZ
does (TILEMATRIX = z, TILEROW = y, TILECOL = x) when its matrices are named by level, so it is turned
into the same kind of template here and the browser needs only one tile layer. The tiles' grid is
Web Mercator (XYZ, GoogleMapsCompatible, 天地图 `*_w`) or geographic (longitude/latitude, 天地图
`*_c`, EPSG:4490), where Leaflet's EPSG:4326 grid has two tiles at level 0 and 天地图 at level 1:
`YIWANG_TILE_ZOOM_OFFSET` says by how many levels the server's numbering runs ahead. The tiles' coordinate system is `wgs84` (also for CGCS2000, within
centimetres of it) or `gcj02`; with GCJ-02 the browser projects our WGS-84 shapes through the GCJ-02
shift (mapbase.js), so the shapes line up and a picked point comes back in WGS-84.

With no tile server the base is drawn from our own data (outlines, grid names, buildings and
places), served by the regions and registry routers.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .coords import GCJ02, WGS84

XYZ = "xyz"
WMTS = "wmts"
TILE_KINDS = (XYZ, WMTS)
TILE_CRSES = (WGS84, GCJ02)
MERCATOR = "mercator"
GEOGRAPHIC = "geographic"
TILE_GRIDS = (MERCATOR, GEOGRAPHIC)


@dataclass(frozen=True)
class TileSource:
    template: str
    crs: str
    attribution: str
    max_zoom: int
    subdomains: str
    grid: str = MERCATOR
    zoom_offset: int = 0


def wmts_template(endpoint: str, *, layer: str, matrix_set: str, image_format: str, style: str) -> str:
    """A WMTS KVP GetTile URL with {z}/{y}/{x} left for the browser to fill."""
    if not layer or not matrix_set:
        raise ImproperlyConfigured("YIWANG_TILE_KIND=wmts needs YIWANG_WMTS_LAYER and YIWANG_WMTS_MATRIX_SET")
    query = urlencode({
        "SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": layer, "STYLE": style,
        "TILEMATRIXSET": matrix_set, "FORMAT": image_format,
    })
    # The placeholders stay literal: urlencode would escape their braces.
    query += "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
    return endpoint + ("&" if "?" in endpoint else "?") + query


def tile_source() -> TileSource | None:
    """The configured tile server, or None for the base drawn from our own data."""
    url = settings.YIWANG_TILE_URL
    if not url:
        return None
    kind, crs = settings.YIWANG_TILE_KIND, settings.YIWANG_TILE_CRS
    if kind not in TILE_KINDS:
        raise ImproperlyConfigured(f"YIWANG_TILE_KIND must be one of {', '.join(TILE_KINDS)}, not {kind!r}")
    if crs not in TILE_CRSES:
        raise ImproperlyConfigured(f"YIWANG_TILE_CRS must be one of {', '.join(TILE_CRSES)} (CGCS2000 is wgs84), not {crs!r}")
    grid, zoom_offset = settings.YIWANG_TILE_GRID, settings.YIWANG_TILE_ZOOM_OFFSET
    if grid not in TILE_GRIDS:
        raise ImproperlyConfigured(f"YIWANG_TILE_GRID must be one of {', '.join(TILE_GRIDS)}, not {grid!r}")
    if not 0 <= zoom_offset <= 5:
        raise ImproperlyConfigured(f"YIWANG_TILE_ZOOM_OFFSET must be between 0 and 5, not {zoom_offset}")
    if kind == WMTS:
        url = wmts_template(url, layer=settings.YIWANG_WMTS_LAYER, matrix_set=settings.YIWANG_WMTS_MATRIX_SET,
                            image_format=settings.YIWANG_WMTS_FORMAT, style=settings.YIWANG_WMTS_STYLE)
    return TileSource(template=url, crs=crs, attribution=settings.YIWANG_TILE_ATTRIBUTION,
                      max_zoom=settings.YIWANG_TILE_MAX_ZOOM, subdomains=settings.YIWANG_TILE_SUBDOMAINS,
                      grid=grid, zoom_offset=zoom_offset)


@checks.register()
def check_tile_settings(app_configs=None, **kwargs):
    """Refuse to start with tile settings the maps could not use, rather than fail on each map page."""
    try:
        tile_source()
    except ImproperlyConfigured as problem:
        return [checks.Error(str(problem), id="yiwang.E101")]
    return []


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """`min_lon,min_lat,max_lon,max_lat` in WGS-84, or None when not given; refused with a message
    naming the field when it is not four finite numbers in order within lon/lat range."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    if text is None or not text.strip():
        return None
    problem = _("范围 bbox 应为四个数：最小经度、最小纬度、最大经度、最大纬度（以英文逗号分隔）")
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ValidationError({"bbox": [problem]}) from None
    if len(values) != 4 or any(v != v or v in (float("inf"), float("-inf")) for v in values):
        raise ValidationError({"bbox": [problem]})
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError({"bbox": [_("范围 bbox 超出经纬度范围或最小值大于最大值")]})
    return values
