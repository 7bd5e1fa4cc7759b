"""Small builders shared by the region tests."""

import json


def ring(lon0: float, lat0: float, lon1: float, lat1: float) -> list:
    return [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]


def rect_geometry(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    return {"type": "Polygon", "coordinates": [ring(lon0, lat0, lon1, lat1)]}


def rect(lon0: float, lat0: float, lon1: float, lat1: float) -> str:
    return json.dumps(rect_geometry(lon0, lat0, lon1, lat1))


# Self-intersecting "bow-tie": the ring crosses itself at its centre.
BOW_TIE = {"type": "Polygon", "coordinates": [[[108.30, 31.10], [108.31, 31.11], [108.31, 31.10], [108.30, 31.11], [108.30, 31.10]]]}


def feature(code: str | None, geometry, *, name: str = "网格", **properties) -> dict:
    props = {"name": name, **properties}
    if code is not None:
        props["code"] = code
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}
