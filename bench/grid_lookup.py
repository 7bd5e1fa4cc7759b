"""Point-to-grid lookup: our lattice-backed `GridIndex` against a bare shapely STRtree.

Synthetic grids are Voronoi cells of a jittered lattice (irregular polygons of 4-9 sides that
tile the extent without gaps, like real grids), placed over 开州区 at about 400 m per grid. Points
are uniform over the extent. Both sides answer the same question on the same polygons and
points; the baseline is what one would write without our index:
- batch: `tree.query(points, predicate="intersects")` on an array of shapely points;
- single: one `tree.query(Point(lon, lat), predicate="intersects")` per point.
Ours is the public path of `yiwang.regions.gridindex.GridIndex` (`locate_many` / `locate`), which
returns Location objects, so it does strictly more work than the baseline.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import STRtree

from bench.common import best_rate, metric

ORIGIN_LON, ORIGIN_LAT = 108.0, 31.0
GRID_SPACING_DEG = 0.004  # ~400 m: a 300-500 household grid in a town


def synthetic_grids(count: int, *, seed: int = 20260101) -> tuple[list[int], list[str], np.ndarray, tuple[float, float, float, float]]:
    """About `count` irregular polygons tiling a square: (ids, codes, geometries, extent)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    columns, rows = np.meshgrid(np.arange(side), np.arange(side))
    seeds = np.column_stack([columns.ravel(), rows.ravel()]).astype(float)[:count]
    seeds = (seeds + rng.uniform(0.1, 0.9, seeds.shape)) * GRID_SPACING_DEG
    seeds += (ORIGIN_LON, ORIGIN_LAT)
    extent = (ORIGIN_LON, ORIGIN_LAT, ORIGIN_LON + side * GRID_SPACING_DEG, ORIGIN_LAT + side * GRID_SPACING_DEG)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=shapely.box(*extent)))
    polygons = shapely.intersection(cells, shapely.box(*extent))
    polygons = polygons[~shapely.is_empty(polygons)]
    ids = list(range(1, len(polygons) + 1))
    codes = [f"500154003001{i:06d}" for i in ids]
    return ids, codes, polygons, extent


def random_points(extent: tuple[float, float, float, float], count: int, *, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    min_lon, min_lat, max_lon, max_lat = extent
    return rng.uniform(min_lon, max_lon, count), rng.uniform(min_lat, max_lat, count)


def _label(count: int) -> str:
    return f"{count // 1000}k"


def measurements(*, quick: bool) -> list[dict]:
    from yiwang.regions.gridindex import GridIndex

    sizes = (1_000, 10_000) if quick else (1_000, 100_000)
    batch_points = 50_000 if quick else 400_000
    single_points = 5_000 if quick else 40_000
    baseline_single_points = 3_000 if quick else 20_000
    repeat = 3
    rows: list[dict] = []
    for size in sizes:
        ids, codes, polygons, extent = synthetic_grids(size)
        index = GridIndex(ids, codes, polygons)
        tree = STRtree(polygons)
        lons, lats = random_points(extent, batch_points)
        points = shapely.points(lons, lats)

        # Same answers first: a benchmark of a wrong index would be meaningless.
        ours = index.locate_many(lons[:2000], lats[:2000])
        point_index, polygon_index = tree.query(points[:2000], predicate="intersects")
        expected: dict[int, str] = {}
        for p, g in zip(point_index.tolist(), polygon_index.tolist()):
            expected[p] = min(expected.get(p, codes[g]), codes[g])
        mismatches = sum(1 for i, loc in enumerate(ours) if loc.grid_code != expected.get(i))
        if mismatches:
            raise AssertionError(f"grid_lookup@{_label(size)}: {mismatches} of 2000 points disagree with the STRtree")

        def ours_batch() -> int:
            return len(index.locate_many(lons, lats))

        def baseline_batch() -> int:
            # The baseline gets its points already built; only the query is timed.
            tree.query(points, predicate="intersects")
            return len(points)

        single_lons, single_lats = lons[:single_points].tolist(), lats[:single_points].tolist()

        def ours_single() -> int:
            locate = index.locate
            for lon, lat in zip(single_lons, single_lats):
                locate(lon, lat)
            return len(single_lons)

        baseline_singles = list(points[:baseline_single_points])

        def baseline_single() -> int:
            query = tree.query
            for point in baseline_singles:
                query(point, predicate="intersects")
            return len(baseline_singles)

        label = _label(size)
        baseline_batch_rate = best_rate(baseline_batch, repeat=repeat)
        rows.append(
            metric(
                f"grid_lookup_batch_per_s@{label}",
                best_rate(ours_batch, repeat=repeat),
                "points/s",
                baseline=f"shapely STRtree.query(points, predicate='intersects') over {len(polygons)} polygons",
                baseline_value=baseline_batch_rate,
            )
        )
        baseline_single_rate = best_rate(baseline_single, repeat=repeat)
        rows.append(
            metric(
                f"grid_lookup_single_per_s@{label}",
                best_rate(ours_single, repeat=repeat),
                "points/s",
                baseline=f"one shapely STRtree.query(Point, predicate='intersects') per point over {len(polygons)} polygons",
                baseline_value=baseline_single_rate,
            )
        )
    return rows
