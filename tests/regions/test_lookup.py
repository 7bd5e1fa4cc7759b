import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.regions import coords, lookup
from yiwang.regions.gridindex import OUTSIDE, GridIndex, Location, PolygonIndex

from .helpers import rect

# Points inside the fixture's micro-grids (see tests/conftest.py: grids A and B side by side).
IN_MICRO_A1 = (108.302, 31.105)
IN_MICRO_A2 = (108.307, 31.105)
IN_MICRO_B1 = (108.315, 31.105)


def test_points_in_each_micro_grid(tree):
    assert lookup.locate(*IN_MICRO_A1) == Location(tree.grid_a.id, tree.micro_a1.id, tree.grid_a.code, tree.micro_a1.code)
    assert lookup.locate(*IN_MICRO_A2) == Location(tree.grid_a.id, tree.micro_a2.id, tree.grid_a.code, tree.micro_a2.code)
    assert lookup.locate(*IN_MICRO_B1) == Location(tree.grid_b.id, tree.micro_b1.id, tree.grid_b.code, tree.micro_b1.code)


def test_point_outside_every_grid_is_all_none(tree):
    for point in [(108.45, 31.15), (2.35, 48.85), (108.30, 31.2)]:
        location = lookup.locate(*point)
        assert location == OUTSIDE
        assert location.grid_id is None and location.micro_grid_code is None and not location.found


def test_point_in_a_grid_but_no_micro_grid(tree):
    tree.micro_b1.boundary = rect(108.31, 31.10, 108.315, 31.11)
    tree.micro_b1.save()
    lookup.invalidate()
    assert lookup.locate(108.318, 31.105) == Location(tree.grid_b.id, None, tree.grid_b.code, None)


def test_shared_border_goes_to_the_lowest_code_in_both_paths(tree):
    border = (108.31, 31.105)  # the line between grid A (…001) and grid B (…002)
    assert lookup.locate(*border).grid_code == tree.grid_a.code
    assert lookup.locate_many([border[0]], [border[1]])[0].grid_code == tree.grid_a.code


def test_gcj02_and_bd09_input_is_converted_first(tree):
    wgs = (108.3035, 31.1025)  # in micro-grid A1, near its east edge
    gcj = coords.from_wgs84(*wgs, "gcj02")
    bd = coords.from_wgs84(*wgs, "bd09")
    expected = lookup.locate(*wgs)
    assert expected.micro_grid_code == tree.micro_a1.code
    assert lookup.locate(*gcj, crs="gcj02") == expected
    assert lookup.locate(*bd, crs="bd09") == expected
    # Read as WGS-84, the GCJ point lands ~450 m east: the wrong micro-grid.
    assert lookup.locate(*gcj).micro_grid_code == tree.micro_a2.code
    assert lookup.locate_many([gcj[0]], [gcj[1]], crs="gcj02") == [expected]


def test_unknown_crs_is_refused(tree):
    with pytest.raises(ValueError, match="mercator"):
        lookup.locate(108.3, 31.1, crs="mercator")


def test_index_is_rebuilt_after_a_boundary_edit(tree, django_capture_on_commit_callbacks):
    from yiwang.regions.models import BoundaryVersion

    east_of_b = (108.325, 31.105)
    assert lookup.locate(*east_of_b) == OUTSIDE
    before = BoundaryVersion.current()
    with django_capture_on_commit_callbacks(execute=True):
        tree.grid_b.boundary = rect(108.31, 31.10, 108.33, 31.11)
        tree.grid_b.save()
    assert BoundaryVersion.current() == before + 1
    assert lookup.locate(*east_of_b).grid_code == tree.grid_b.code


def test_other_processes_notice_the_version_within_the_check_interval(tree, monkeypatch, django_assert_num_queries):
    from yiwang.regions.models import BoundaryVersion, Region

    east_of_b = (108.325, 31.105)
    monkeypatch.setattr(lookup, "VERSION_CHECK_SECONDS", 3600.0)  # a slow CI must not cross it
    assert lookup.locate(*east_of_b) == OUTSIDE
    # Another process changed the rows: no signal here, only the version moved.
    Region.objects.filter(pk=tree.grid_b.pk).update(boundary=rect(108.31, 31.10, 108.33, 31.11))
    BoundaryVersion.bump()
    with django_assert_num_queries(0):
        # Within the interval the cached index answers without touching the database.
        assert lookup.locate(*east_of_b) == OUTSIDE
    monkeypatch.setattr(lookup, "VERSION_CHECK_SECONDS", 0.0)
    assert lookup.locate(*east_of_b).grid_code == tree.grid_b.code


def test_micro_grid_counts_only_inside_its_own_grid():
    grids = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    # Micro-grid of grid 1 that spills 0.1 into grid 2 (within an import tolerance).
    index = GridIndex(
        [1, 2], ["g1", "g2"], grids,
        micro_grid_ids=[10], micro_grid_codes=["g1m"], micro_grid_geometries=[shapely.box(0.5, 0, 1.1, 1)],
        micro_grid_parent_ids=[1], micro_grid_parent_codes=["g1"],
    )  # fmt: skip
    assert index.locate(0.7, 0.5) == Location(1, 10, "g1", "g1m")
    assert index.locate(1.05, 0.5) == Location(2, None, "g2", None)
    assert index.locate_many([0.7, 1.05], [0.5, 0.5]) == [Location(1, 10, "g1", "g1m"), Location(2, None, "g2", None)]


def test_dedicated_grid_wins_over_the_regular_grid_around_it():
    index = GridIndex([1, 2], ["a001", "a002"], [shapely.box(0, 0, 10, 10), shapely.box(4, 4, 5, 5)], grid_is_dedicated=[False, True])
    assert index.locate(4.5, 4.5).grid_code == "a002"
    assert index.locate(1, 1).grid_code == "a001"
    assert [loc.grid_code for loc in index.locate_many([4.5, 1], [4.5, 1])] == ["a002", "a001"]


def test_empty_index_and_nan_are_outside():
    empty = GridIndex([], [], [])
    assert empty.locate(1.0, 1.0) == OUTSIDE
    assert empty.locate_many([1.0], [1.0]) == [OUTSIDE]
    index = GridIndex([1], ["a"], [shapely.box(0, 0, 1, 1)])
    assert index.locate(math.nan, 0.5) == OUTSIDE
    assert index.locate_many([math.nan, 0.5], [0.5, math.inf]) == [OUTSIDE, OUTSIDE]


# Agreement with a brute-force oracle on awkward shapes -------------------------------------------


def awkward_polygons():
    """Holes, islands in holes, multipolygons, overlaps, slivers and a shared diagonal edge."""
    return [
        shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(3, 3), (7, 3), (7, 7), (3, 7)]]),
        shapely.box(4, 4, 6, 6),  # island inside the hole
        shapely.MultiPolygon([shapely.box(10, 0, 12, 2), shapely.box(10, 5, 12, 8)]),
        shapely.box(11, 1, 14, 3),  # overlaps the first part of the multipolygon
        shapely.Polygon([(12, 3), (20, 3), (12, 9.5)]),  # diagonal edges
        shapely.Polygon([(20, 3), (20, 9.5), (12, 9.5)]),  # shares the diagonal
        shapely.box(0, 10, 20, 10.001),  # a sliver along the top
        shapely.Polygon([(0.5, 0.5), (2.5, 0.7), (1.0, 2.9)]),  # inside polygon 0: overlap everywhere
    ]


def oracle(geometries, x, y) -> int:
    for position, geometry in enumerate(geometries):
        if shapely.intersects_xy(geometry, x, y):
            return position
    return -1


interesting_values = st.sampled_from([0, 0.5, 1, 2, 3, 4, 5, 6, 7, 9.5, 10, 10.001, 11, 12, 14, 16, 20])
coordinate_x = st.one_of(st.floats(-1, 21, allow_nan=False), interesting_values)
coordinate_y = st.one_of(st.floats(-1, 11, allow_nan=False), interesting_values)


@pytest.mark.parametrize("cells_per_polygon", [1, 16, 400])
@settings(max_examples=150, deadline=None)
@given(points=st.lists(st.tuples(coordinate_x, coordinate_y), min_size=1, max_size=60))
def test_polygon_index_matches_brute_force(cells_per_polygon, points):
    geometries = awkward_polygons()
    index = _index_for(cells_per_polygon)
    xs, ys = np.array([p[0] for p in points], dtype=float), np.array([p[1] for p in points], dtype=float)
    expected = [oracle(geometries, x, y) for x, y in points]
    assert [index.find(x, y) for x, y in points] == expected
    assert index.find_many(xs, ys).tolist() == expected


_indexes: dict[int, PolygonIndex] = {}


def _index_for(cells_per_polygon: int) -> PolygonIndex:
    if cells_per_polygon not in _indexes:
        _indexes[cells_per_polygon] = PolygonIndex(awkward_polygons(), cells_per_polygon=cells_per_polygon)
    return _indexes[cells_per_polygon]


def test_synthetic_grids_agree_with_strtree_including_vertices():
    from bench.grid_lookup import random_points, synthetic_grids

    ids, codes, polygons, extent = synthetic_grids(2000)
    index = GridIndex(ids, codes, polygons)
    lons, lats = random_points(extent, 20000)
    vertices = shapely.get_coordinates(polygons[:300])
    lons, lats = np.r_[lons, vertices[:, 0]], np.r_[lats, vertices[:, 1]]
    point_index, polygon_index = shapely.STRtree(polygons).query(shapely.points(lons, lats), predicate="intersects")
    expected = np.full(lons.size, -1)
    best = {}
    for p, g in zip(point_index.tolist(), polygon_index.tolist()):
        best[p] = min(best.get(p, g), g)  # codes follow ids here, so lowest position = lowest code
    for p, g in best.items():
        expected[p] = ids[g]
    got_batch = [loc.grid_id or -1 for loc in index.locate_many(lons, lats)]
    got_single = [index.locate(x, y).grid_id or -1 for x, y in zip(lons.tolist(), lats.tolist())]
    assert got_batch == expected.tolist()
    assert got_single == expected.tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    points=st.lists(
        st.tuples(
            st.one_of(st.floats(108.295, 108.325), st.sampled_from([108.30, 108.305, 108.31, 108.32])),
            st.one_of(st.floats(31.095, 31.115), st.sampled_from([31.10, 31.11])),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_batch_and_single_agree_on_the_fixture_tree(tree, points):
    index = lookup.current_index()
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    assert index.locate_many(lons, lats) == [index.locate(lon, lat) for lon, lat in points]
    assert lookup.locate_many(lons, lats) == [lookup.locate(lon, lat) for lon, lat in points]


def test_broken_saved_boundaries_do_not_break_lookups(tree, caplog):
    import json

    from yiwang.regions.models import Region

    from .helpers import BOW_TIE

    # Saved behind validation's back: a bow-tie is repaired for lookups, garbage is skipped.
    Region.objects.filter(pk=tree.grid_a.pk).update(boundary=json.dumps(BOW_TIE))
    Region.objects.filter(pk=tree.micro_b1.pk).update(boundary="{not json")
    lookup.invalidate()
    assert lookup.locate(108.305, 31.102).grid_code == tree.grid_a.code  # lower triangle of the bow-tie
    assert lookup.locate(108.315, 31.105) == Location(tree.grid_b.id, None, tree.grid_b.code, None)
    assert tree.micro_b1.code in caplog.text and tree.grid_a.code in caplog.text
