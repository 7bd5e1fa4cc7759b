"""Which grid and micro-grid contains a point: `locate(lon, lat)` and `locate_many(lons, lats)`.

The answer comes from an in-memory index of every grid and micro-grid boundary (`gridindex.GridIndex`,
pure numpy and shapely), built here from the saved boundaries once per process and rebuilt when
`BoundaryVersion` moves (checked at most once a second, so a single lookup normally costs no
database query) or when `invalidate()` is called (the signals do so when a boundary is saved in
this process). `region_chains()` keeps the tree's ancestor chains beside it, on the same clock.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import numpy as np
import shapely

from yiwang.core.stamped import StampedCache

from . import coords
from .gridindex import OUTSIDE, GridIndex, Location

__all__ = ["OUTSIDE", "Location", "current_index", "index_from_database", "invalidate", "locate", "locate_many", "region_chains"]

logger = logging.getLogger(__name__)

# How often (seconds) a process asks the database whether boundaries changed.
VERSION_CHECK_SECONDS = 1.0


# Building from the saved boundaries -----------------------------------------------------------


def index_from_database() -> GridIndex:
    """The index of every grid and micro-grid with a usable saved boundary."""
    from .models import GridKind, Level, Region

    rows = list(
        Region.objects.filter(level__in=[Level.GRID, Level.MICRO_GRID])
        .exclude(boundary="")
        .values_list("id", "code", "level", "grid_kind", "boundary", "parent_id", "parent__code")
    )
    geometries = _parse_boundaries([row[4] for row in rows], codes=[row[1] for row in rows])
    grids = {"ids": [], "codes": [], "geoms": [], "dedicated": []}
    micros = {"ids": [], "codes": [], "geoms": [], "parent_ids": [], "parent_codes": []}
    for (region_id, code, level, grid_kind, _boundary, parent_id, parent_code), geometry in zip(rows, geometries):
        if geometry is None:
            continue
        if level == Level.GRID:
            grids["ids"].append(region_id)
            grids["codes"].append(code)
            grids["geoms"].append(geometry)
            grids["dedicated"].append(grid_kind == GridKind.DEDICATED)
        else:
            micros["ids"].append(region_id)
            micros["codes"].append(code)
            micros["geoms"].append(geometry)
            micros["parent_ids"].append(parent_id)
            micros["parent_codes"].append(parent_code)
    return GridIndex(
        grids["ids"], grids["codes"], grids["geoms"], grid_is_dedicated=grids["dedicated"],
        micro_grid_ids=micros["ids"], micro_grid_codes=micros["codes"], micro_grid_geometries=micros["geoms"],
        micro_grid_parent_ids=micros["parent_ids"], micro_grid_parent_codes=micros["parent_codes"],
    )  # fmt: skip


def _parse_boundaries(boundaries: list[str], *, codes: list[str]) -> list:
    """Stored GeoJSON → shapely polygons; rows that cannot be used are logged and skipped."""
    if not boundaries:
        return []
    parsed = shapely.from_geojson(np.asarray(boundaries, dtype=object), on_invalid="ignore")
    usable = []
    for code, geometry in zip(codes, parsed):
        if geometry is None or geometry.is_empty or shapely.get_type_id(geometry) not in (3, 6):
            logger.warning("区域 %s 的边界无法解析或不是面，已跳过 boundary of region %s is not a usable polygon; skipped", code, code)
            usable.append(None)
            continue
        if not shapely.is_valid(geometry):
            logger.warning("区域 %s 的边界无效（%s），已自动修复 boundary of region %s is invalid; repaired for lookup", code, shapely.is_valid_reason(geometry), code)
            geometry = _polygonal_part(shapely.make_valid(geometry))
        usable.append(geometry)
    return usable


def _polygonal_part(geometry):
    """Only the polygons of a repaired geometry (make_valid may add stray lines or points)."""
    polygons = [part for part in shapely.get_parts(shapely.get_parts(geometry)) if shapely.get_type_id(part) == 3]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


# The per-process index ----------------------------------------------------------------------

_build_lock = threading.Lock()
_index: GridIndex | None = None
_index_version: int | None = None
_version_checked_at = -math.inf


def invalidate() -> None:
    """Forget the index and the region chains; the next lookup rebuilds them. The signals call this
    when a change commits."""
    global _index, _index_version, _version_checked_at
    with _build_lock:
        _index = None
        _index_version = None
        _version_checked_at = -math.inf
    _region_chains.invalidate()


def current_index() -> GridIndex:
    """The process's index, rebuilt if `BoundaryVersion` moved (asked at most once a second)."""
    global _index, _index_version, _version_checked_at
    index = _index
    if index is not None and time.monotonic() - _version_checked_at < VERSION_CHECK_SECONDS:
        return index
    from .models import BoundaryVersion

    with _build_lock:
        # Read the version before the rows: a change landing mid-build moves the version again,
        # so the next check rebuilds rather than keeping a stale index forever.
        version = BoundaryVersion.current()
        if _index is None or version != _index_version:
            _index = index_from_database()
            _index_version = version
        _version_checked_at = time.monotonic()
        return _index


def _read_region_chains() -> dict[int, tuple[int, ...]]:
    from .models import Level, Region, ancestor_paths

    paths = dict(Region.objects.exclude(level=Level.MICRO_GRID).values_list("id", "path"))
    by_path = {path: pk for pk, path in paths.items()}
    return {pk: tuple(by_path[a] for a in ancestor_paths(path) if a in by_path) for pk, path in paths.items()}


def _boundary_version() -> int:
    from .models import BoundaryVersion

    return BoundaryVersion.current()


# A region's chain changes only with a move, which bumps BoundaryVersion as a boundary edit does.
_region_chains = StampedCache(stamp=_boundary_version, build=_read_region_chains, every=VERSION_CHECK_SECONDS)


def region_chains(*, fresh: bool = False) -> dict[int, tuple[int, ...]]:
    """{region id: the ids of its ancestors from the root down and its own} for every region above
    the micro-grids, kept per process (shared: never edit it): which regions a case's grid lies
    under, without a join per case. `fresh` re-reads it now, for an id made in another process
    within the last second."""
    if fresh:
        _region_chains.invalidate()
    return _region_chains.get()


def locate(lon: float, lat: float, *, crs: str = coords.WGS84) -> Location:
    """The grid and micro-grid containing the point (given in `crs`); `OUTSIDE` when none does."""
    if crs != coords.WGS84:
        lon, lat = coords.to_wgs84(lon, lat, crs)
    return current_index().locate(float(lon), float(lat))


def locate_many(lons, lats, *, crs: str = coords.WGS84) -> list[Location]:
    """`locate` for arrays of points, vectorised; one Location per input point, in order."""
    if crs != coords.WGS84:
        lons, lats = coords.to_wgs84_arrays(lons, lats, crs)
    else:
        lons, lats = coords.as_float_arrays(lons, lats)
    return current_index().locate_many(lons, lats)
