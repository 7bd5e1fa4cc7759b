"""Conversions between the three coordinate systems met in China.

- WGS-84: GPS and what we store (Leaflet draws it without any tile provider).
- GCJ-02: the obfuscated system required for published maps (Amap/高德, Tencent, Google China).
- BD-09: Baidu's second obfuscation on top of GCJ-02.

GCJ-02 follows the widely published formula (Krasovsky ellipsoid, the same trigonometric
series everyone uses), including its rule that points outside a rough China rectangle are not
shifted. Its inverse has no closed form, so we iterate: the shift changes slowly with position,
so "subtract the shift measured at the current guess" converges to well under a millimetre in a
few steps. Every function comes in a scalar form (plain floats, fast for single points) and an
array form (numpy, for batches); both share one implementation of the series.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
CRS_CHOICES = (WGS84, GCJ02, BD09)

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_SEMI_MAJOR_AXIS = 6378245.0
_ECCENTRICITY_SQUARED = 0.00669342162296594323
# BD-09 scales angles by this factor.
_BD_X_PI = math.pi * 3000.0 / 180.0
_BD_LON_SHIFT = 0.0065
_BD_LAT_SHIFT = 0.006

# The rectangle inside which GCJ-02 shifts points (the standard "out of China" rule).
CHINA_MIN_LON, CHINA_MAX_LON = 72.004, 137.8347
CHINA_MIN_LAT, CHINA_MAX_LAT = 0.8293, 55.8271

# Inverse iterations stop once a step moves less than this (degrees, ~1 micrometre).
_INVERSE_TOLERANCE_DEG = 1e-11
_INVERSE_MAX_STEPS = 30

_SCALAR_MATH = SimpleNamespace(sin=math.sin, cos=math.cos, sqrt=math.sqrt, atan2=math.atan2, hypot=math.hypot)
_ARRAY_MATH = SimpleNamespace(sin=np.sin, cos=np.cos, sqrt=np.sqrt, atan2=np.arctan2, hypot=np.hypot)


def check_crs(crs: str) -> str:
    if crs not in CRS_CHOICES:
        raise ValueError(f"未知坐标系 unknown coordinate system {crs!r}; expected one of {', '.join(CRS_CHOICES)}")
    return crs


def out_of_china(lon: float, lat: float) -> bool:
    return not (CHINA_MIN_LON <= lon <= CHINA_MAX_LON and CHINA_MIN_LAT <= lat <= CHINA_MAX_LAT)


def _out_of_china_mask(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    inside = (lons >= CHINA_MIN_LON) & (lons <= CHINA_MAX_LON) & (lats >= CHINA_MIN_LAT) & (lats <= CHINA_MAX_LAT)
    return ~inside


def _gcj_shift(lon, lat, m):
    """(dlon, dlat) in degrees that GCJ-02 adds to a WGS-84 point; works on floats or arrays."""
    x = lon - 105.0
    y = lat - 35.0
    root_abs_x = m.sqrt(abs(x))
    pi = math.pi
    waves = (20.0 * m.sin(6.0 * x * pi) + 20.0 * m.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root_abs_x
    dlat = dlat + waves
    dlat = dlat + (20.0 * m.sin(y * pi) + 40.0 * m.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * m.sin(y / 12.0 * pi) + 320.0 * m.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root_abs_x
    dlon = dlon + waves
    dlon = dlon + (20.0 * m.sin(x * pi) + 40.0 * m.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * m.sin(x / 12.0 * pi) + 300.0 * m.sin(x / 30.0 * pi)) * 2.0 / 3.0
    # Metres → degrees on the Krasovsky ellipsoid at this latitude.
    rad_lat = lat / 180.0 * pi
    sin_lat = m.sin(rad_lat)
    magic = 1.0 - _ECCENTRICITY_SQUARED * sin_lat * sin_lat
    sqrt_magic = m.sqrt(magic)
    dlat = (dlat * 180.0) / ((_SEMI_MAJOR_AXIS * (1.0 - _ECCENTRICITY_SQUARED)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_SEMI_MAJOR_AXIS / sqrt_magic * m.cos(rad_lat) * pi)
    return dlon, dlat


def _gcj_to_bd(lon, lat, m):
    z = m.hypot(lon, lat) + 0.00002 * m.sin(lat * _BD_X_PI)
    theta = m.atan2(lat, lon) + 0.000003 * m.cos(lon * _BD_X_PI)
    return z * m.cos(theta) + _BD_LON_SHIFT, z * m.sin(theta) + _BD_LAT_SHIFT


def _bd_to_gcj_approx(lon, lat, m):
    """Baidu's published one-step inverse; good to about a metre, refined by iteration below."""
    x = lon - _BD_LON_SHIFT
    y = lat - _BD_LAT_SHIFT
    z = m.hypot(x, y) - 0.00002 * m.sin(y * _BD_X_PI)
    theta = m.atan2(y, x) - 0.000003 * m.cos(x * _BD_X_PI)
    return z * m.cos(theta), z * m.sin(theta)


# Scalar API -----------------------------------------------------------------------------------


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_shift(lon, lat, _SCALAR_MATH)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    guess_lon, guess_lat = lon, lat
    for _ in range(_INVERSE_MAX_STEPS):
        dlon, dlat = _gcj_shift(guess_lon, guess_lat, _SCALAR_MATH)
        next_lon, next_lat = lon - dlon, lat - dlat
        converged = abs(next_lon - guess_lon) < _INVERSE_TOLERANCE_DEG and abs(next_lat - guess_lat) < _INVERSE_TOLERANCE_DEG
        guess_lon, guess_lat = next_lon, next_lat
        if converged:
            break
    return guess_lon, guess_lat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return _gcj_to_bd(lon, lat, _SCALAR_MATH)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    guess_lon, guess_lat = _bd_to_gcj_approx(lon, lat, _SCALAR_MATH)
    for _ in range(_INVERSE_MAX_STEPS):
        fwd_lon, fwd_lat = _gcj_to_bd(guess_lon, guess_lat, _SCALAR_MATH)
        step_lon, step_lat = lon - fwd_lon, lat - fwd_lat
        guess_lon, guess_lat = guess_lon + step_lon, guess_lat + step_lat
        if abs(step_lon) < _INVERSE_TOLERANCE_DEG and abs(step_lat) < _INVERSE_TOLERANCE_DEG:
            break
    return guess_lon, guess_lat


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A point given in `crs` ("wgs84", "gcj02" or "bd09") as WGS-84 (lon, lat)."""
    check_crs(crs)
    if crs == GCJ02:
        return gcj02_to_wgs84(lon, lat)
    if crs == BD09:
        return bd09_to_wgs84(lon, lat)
    return float(lon), float(lat)


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A WGS-84 point expressed in `crs`, e.g. to place a marker on an Amap or Baidu base map."""
    check_crs(crs)
    if crs == GCJ02:
        return wgs84_to_gcj02(lon, lat)
    if crs == BD09:
        return wgs84_to_bd09(lon, lat)
    return float(lon), float(lat)


# Array API ------------------------------------------------------------------------------------


def as_float_arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    lons = np.asarray(lons, dtype=np.float64)
    lats = np.asarray(lats, dtype=np.float64)
    if lons.shape != lats.shape:
        raise ValueError(f"经纬度数组长度不一致 longitude/latitude arrays differ in shape: {lons.shape} vs {lats.shape}")
    return lons, lats


def wgs84_to_gcj02_arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    lons, lats = as_float_arrays(lons, lats)
    dlon, dlat = _gcj_shift(lons, lats, _ARRAY_MATH)
    outside = _out_of_china_mask(lons, lats)
    return np.where(outside, lons, lons + dlon), np.where(outside, lats, lats + dlat)


def gcj02_to_wgs84_arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    lons, lats = as_float_arrays(lons, lats)
    guess_lon, guess_lat = lons.copy(), lats.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        dlon, dlat = _gcj_shift(guess_lon, guess_lat, _ARRAY_MATH)
        next_lon, next_lat = lons - dlon, lats - dlat
        moved = np.maximum(np.abs(next_lon - guess_lon), np.abs(next_lat - guess_lat))
        guess_lon, guess_lat = next_lon, next_lat
        # NaN never converges; it must not keep the loop alive.
        if not np.any(moved >= _INVERSE_TOLERANCE_DEG):
            break
    outside = _out_of_china_mask(lons, lats)
    return np.where(outside, lons, guess_lon), np.where(outside, lats, guess_lat)


def gcj02_to_bd09_arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    lons, lats = as_float_arrays(lons, lats)
    return _gcj_to_bd(lons, lats, _ARRAY_MATH)


def bd09_to_gcj02_arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    lons, lats = as_float_arrays(lons, lats)
    guess_lon, guess_lat = _bd_to_gcj_approx(lons, lats, _ARRAY_MATH)
    for _ in range(_INVERSE_MAX_STEPS):
        fwd_lon, fwd_lat = _gcj_to_bd(guess_lon, guess_lat, _ARRAY_MATH)
        step_lon, step_lat = lons - fwd_lon, lats - fwd_lat
        guess_lon, guess_lat = guess_lon + step_lon, guess_lat + step_lat
        if not np.any(np.maximum(np.abs(step_lon), np.abs(step_lat)) >= _INVERSE_TOLERANCE_DEG):
            break
    return guess_lon, guess_lat


def to_wgs84_arrays(lons, lats, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of points given in `crs` as WGS-84 arrays (new arrays; the inputs are not modified)."""
    check_crs(crs)
    if crs == GCJ02:
        return gcj02_to_wgs84_arrays(lons, lats)
    if crs == BD09:
        return gcj02_to_wgs84_arrays(*bd09_to_gcj02_arrays(lons, lats))
    lons, lats = as_float_arrays(lons, lats)
    return lons.copy(), lats.copy()


def from_wgs84_arrays(lons, lats, crs: str) -> tuple[np.ndarray, np.ndarray]:
    check_crs(crs)
    if crs == GCJ02:
        return wgs84_to_gcj02_arrays(lons, lats)
    if crs == BD09:
        return gcj02_to_bd09_arrays(*wgs84_to_gcj02_arrays(lons, lats))
    lons, lats = as_float_arrays(lons, lats)
    return lons.copy(), lats.copy()


def geometry_to_wgs84(geometry, crs: str):
    """A shapely geometry given in `crs`, with every vertex converted to WGS-84."""
    import shapely

    check_crs(crs)
    if crs == WGS84:
        return geometry

    def convert(xy: np.ndarray) -> np.ndarray:
        lons, lats = to_wgs84_arrays(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([lons, lats])

    return shapely.transform(geometry, convert)
