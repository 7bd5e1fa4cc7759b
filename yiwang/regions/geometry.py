"""Small geometry helpers shared by the model and the importers."""

import shapely


def bounds_of(geojson: str) -> tuple[float, float, float, float]:
    geom = shapely.from_geojson(geojson)
    return tuple(float(v) for v in shapely.bounds(geom))
