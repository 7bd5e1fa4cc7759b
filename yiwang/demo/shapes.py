"""Synthetic boundaries: convex outlines split by relaxed Voronoi cells, level by level.

Geometry is built in a local kilometre plane (so cells are not stretched by the shorter
longitude degree) and projected to WGS-84 lon/lat only when a boundary is stored. A convex
parent cut by Voronoi cells gives convex children, so every child is one polygon inside its
parent and siblings only share edges.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.polygon import orient

KM_PER_DEGREE_LAT = 110.574
# Stored boundaries keep 7 decimals of a degree, about a centimetre.
DECIMALS = 7


class LocalPlane:
    """Equirectangular projection around an origin: accurate to metres over a district."""

    def __init__(self, *, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.km_per_degree_lon = 111.320 * math.cos(math.radians(lat0))

    def to_lonlat(self, geometry: Polygon) -> Polygon:
        scale = np.array([1 / self.km_per_degree_lon, 1 / KM_PER_DEGREE_LAT])
        origin = np.array([self.lon0, self.lat0])
        projected = shapely.transform(geometry, lambda xy: np.round(xy * scale + origin, DECIMALS))
        return clean_polygon(projected)


def clean_polygon(geometry) -> Polygon:
    """One valid, counter-clockwise polygon (RFC 7946), whatever rounding did to the input."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if geometry.geom_type != "Polygon":
        # Rounding can only leave slivers beside the real cell; keep the real cell.
        geometry = max((part for part in shapely.get_parts(geometry) if part.geom_type == "Polygon"), key=lambda p: p.area)
    return orient(geometry, sign=1.0)


def to_geojson(polygon: Polygon) -> str:
    ring = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in polygon.exterior.coords]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))


def outline(*, center: tuple[float, float], radius_km: float, rng: random.Random, stretch: float = 1.25) -> Polygon:
    """A convex, slightly irregular outline, wider east-west than north-south."""
    corners = []
    vertex_count = 15
    for k in range(vertex_count):
        angle = 2 * math.pi * k / vertex_count + rng.uniform(-0.12, 0.12)
        radius = radius_km * rng.uniform(0.8, 1.08)
        corners.append((center[0] + radius * stretch * math.cos(angle), center[1] + radius / stretch * math.sin(angle)))
    return MultiPoint(corners).convex_hull


def points_inside(polygon: Polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` uniform points strictly inside `polygon`, as an (count, 2) array."""
    if count <= 0:
        return np.empty((0, 2))
    shapely.prepare(polygon)
    min_x, min_y, max_x, max_y = polygon.bounds
    chunks, missing = [], count
    while missing > 0:
        draws = max(16, missing * 3)
        xs = rng.uniform(min_x, max_x, draws)
        ys = rng.uniform(min_y, max_y, draws)
        inside = shapely.contains_xy(polygon, xs, ys)
        chunk = np.column_stack([xs[inside], ys[inside]])[:missing]
        chunks.append(chunk)
        missing -= len(chunk)
    return np.concatenate(chunks)


def _voronoi_cells(parent: Polygon, seeds: np.ndarray) -> list[Polygon]:
    diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=parent, ordered=True)
    return [clean_polygon(cell.intersection(parent)) for cell in shapely.get_parts(diagram)]


def shares_edge(a: Polygon, b: Polygon, *, tolerance: float) -> bool:
    """True when a and b have a common border of some length, not just a corner."""
    return a.boundary.intersection(b.buffer(tolerance)).length > 10 * tolerance


def tile(parent: Polygon, count: int, rng: np.random.Generator, *, relax_steps: int = 3) -> list[Polygon]:
    """Split `parent` into `count` cells of similar size, numbered north-west to south-east
    (rows from north to south, west to east within a row), cells 0 and 1 neighbours."""
    if count == 1:
        return [parent]
    seeds = points_inside(parent, count, rng)
    cells = _voronoi_cells(parent, seeds)
    # Lloyd relaxation: moving each seed to its cell's centroid evens out the cell sizes.
    for _ in range(relax_steps):
        seeds = np.array([[c.centroid.x, c.centroid.y] for c in cells])
        cells = _voronoi_cells(parent, seeds)
    cells = _reading_order(parent, cells)
    if not shares_edge(cells[0], cells[1], tolerance=1e-6):
        neighbour = next(i for i in range(2, len(cells)) if shares_edge(cells[0], cells[i], tolerance=1e-6))
        cells.insert(1, cells.pop(neighbour))
    return cells


def _reading_order(parent: Polygon, cells: list[Polygon]) -> list[Polygon]:
    _, min_y, _, max_y = parent.bounds
    rows = max(1, round(math.sqrt(len(cells))))
    row_height = (max_y - min_y) / rows

    def key(cell: Polygon) -> tuple[int, float]:
        centroid = cell.centroid
        return min(rows - 1, int((max_y - centroid.y) / row_height)), centroid.x

    return sorted(cells, key=key)
