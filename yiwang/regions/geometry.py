"""Small geometry helpers shared by the model and the importers."""

import shapely


def bounds_of(geojson: str) -> tuple[float, float, float, float]:
    geom = shapely.from_geojson(geojson)
    return tuple(float(v) for v in shapely.bounds(geom))


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    import math

    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))
