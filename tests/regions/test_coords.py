import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.regions import coords

# Inside the GCJ-02 rectangle with a margin, so neither a point nor its shifted image crosses it.
china_lon = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=3.0, max_value=53.0, allow_nan=False)


def metres_between(lon1, lat1, lon2, lat2) -> float:
    # Equirectangular approximation: plenty for offsets of a few hundred metres.
    mean_lat = math.radians((lat1 + lat2) / 2)
    dx = math.radians(lon2 - lon1) * math.cos(mean_lat) * 6371008.8
    dy = math.radians(lat2 - lat1) * 6371008.8
    return math.hypot(dx, dy)


def test_known_point_in_kaizhou_shifts_a_few_hundred_metres():
    # Expected values computed by hand from the published GCJ-02 series (Krasovsky ellipsoid):
    # dlon = +0.0046166013105018, dlat = -0.0020633671576599 at (108.4, 31.16).
    lon, lat = coords.wgs84_to_gcj02(108.4, 31.16)
    assert lon == pytest.approx(108.40461660131051, abs=1e-12)
    assert lat == pytest.approx(31.15793663284234, abs=1e-12)
    assert 300 < metres_between(108.4, 31.16, lon, lat) < 700


def test_baidu_adds_its_own_shift_on_top_of_gcj():
    gcj = coords.wgs84_to_gcj02(108.4, 31.16)
    bd = coords.gcj02_to_bd09(*gcj)
    # BD-09 is GCJ-02 moved by roughly (+0.0065, +0.006) degrees.
    assert bd[0] - gcj[0] == pytest.approx(0.0065, abs=0.0008)
    assert bd[1] - gcj[1] == pytest.approx(0.006, abs=0.0008)


@settings(max_examples=300)
@given(lon=china_lon, lat=china_lat)
def test_gcj02_inverse_round_trip(lon, lat):
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert back[0] == pytest.approx(lon, abs=1e-6)
    assert back[1] == pytest.approx(lat, abs=1e-6)
    assert metres_between(lon, lat, *back) < 0.5


@settings(max_examples=300)
@given(lon=china_lon, lat=china_lat)
def test_bd09_gcj02_round_trip(lon, lat):
    back = coords.bd09_to_gcj02(*coords.gcj02_to_bd09(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-6)
    forth = coords.gcj02_to_bd09(*coords.bd09_to_gcj02(lon, lat))
    assert forth == pytest.approx((lon, lat), abs=1e-6)


@settings(max_examples=200)
@given(lon=china_lon, lat=china_lat)
def test_to_wgs84_inverts_from_wgs84_for_every_crs(lon, lat):
    for crs in coords.CRS_CHOICES:
        assert coords.to_wgs84(*coords.from_wgs84(lon, lat, crs), crs) == pytest.approx((lon, lat), abs=1e-6)


@given(
    points=st.lists(st.tuples(china_lon, china_lat), min_size=1, max_size=40),
    crs=st.sampled_from(coords.CRS_CHOICES),
)
def test_array_versions_match_the_scalar_ones(points, crs):
    lons, lats = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    array_lons, array_lats = coords.to_wgs84_arrays(lons, lats, crs)
    for lon, lat, got_lon, got_lat in zip(lons, lats, array_lons, array_lats):
        assert (got_lon, got_lat) == pytest.approx(coords.to_wgs84(lon, lat, crs), abs=1e-9)
    shifted_lons, shifted_lats = coords.from_wgs84_arrays(lons, lats, crs)
    assert (shifted_lons[0], shifted_lats[0]) == pytest.approx(coords.from_wgs84(lons[0], lats[0], crs), abs=1e-9)


def test_points_outside_china_are_not_shifted_by_gcj():
    paris = (2.3522, 48.8566)
    assert coords.wgs84_to_gcj02(*paris) == paris
    assert coords.gcj02_to_wgs84(*paris) == paris
    lons, lats = coords.gcj02_to_wgs84_arrays([2.3522, 108.4], [48.8566, 31.16])
    assert (lons[0], lats[0]) == paris
    assert lons[1] != 108.4


def test_unknown_crs_is_named_in_the_error():
    with pytest.raises(ValueError, match="epsg3857"):
        coords.to_wgs84(108.4, 31.16, "epsg3857")
    with pytest.raises(ValueError, match="wgs-84"):
        coords.to_wgs84_arrays([108.4], [31.16], "wgs-84")


def test_nan_in_arrays_does_not_stall_the_iteration():
    lons, lats = coords.to_wgs84_arrays([np.nan, 108.4], [31.0, 31.16], "gcj02")
    assert math.isnan(lons[0])
    assert math.isfinite(lons[1])


def test_geometry_conversion_moves_every_vertex():
    wgs = shapely.box(108.30, 31.10, 108.31, 31.11)
    gcj_ring = [coords.wgs84_to_gcj02(x, y) for x, y in shapely.get_coordinates(wgs)]
    back = coords.geometry_to_wgs84(shapely.Polygon(gcj_ring), "gcj02")
    assert np.allclose(shapely.get_coordinates(back), shapely.get_coordinates(wgs), atol=1e-8)
    assert coords.geometry_to_wgs84(wgs, "wgs84") is wgs
