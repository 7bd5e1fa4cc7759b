"""Duplicate clusters and address normalisation: pure functions over plain values.

Two cases are near duplicates by the intake's rule (yiwang.cases.services.duplicates_near): same
matter, within `radius_m` metres (great-circle, regions.geometry.haversine_m) and within
`window_hours` of each other. A cluster is a connected component of that relation, so a chain
A~B~C is one cluster even when A and C are further apart than the radius.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Hashable, Iterable

from yiwang.regions.geometry import haversine_m


@dataclass(frozen=True)
class Point:
    key: Hashable
    matter: Hashable
    lon: float
    lat: float
    at: datetime


def near_duplicate_components(points: Iterable[Point], *, radius_m: float, window_hours: float) -> list[list[Hashable]]:
    """Connected components (two or more points) of the near-duplicate relation, largest first,
    each in time order; ties between components by their earliest time."""
    window = timedelta(hours=window_hours)
    parent: dict[Hashable, Hashable] = {}

    def find(key):
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    by_matter: dict[Hashable, list[Point]] = {}
    for point in points:
        parent[point.key] = point.key
        by_matter.setdefault(point.matter, []).append(point)
    at = {}
    for group in by_matter.values():
        group.sort(key=lambda p: p.at)
        for i, a in enumerate(group):
            at[a.key] = a.at
            for b in group[i + 1:]:
                if b.at - a.at > window:
                    break  # sorted by time: every later point is further away in time too
                if haversine_m(a.lon, a.lat, b.lon, b.lat) <= radius_m:
                    parent[find(b.key)] = find(a.key)
    components: dict[Hashable, list[Hashable]] = {}
    for key in parent:
        components.setdefault(find(key), []).append(key)
    found = [sorted(keys, key=lambda k: at[k]) for keys in components.values() if len(keys) > 1]
    return sorted(found, key=lambda keys: (-len(keys), at[keys[0]]))


def normalise_address(text: str) -> str:
    """The form two spellings of one address share: full-width folded to half-width (NFKC), case
    folded, and every space and punctuation mark dropped ("永先路１２号 3栋" == "永先路12号3栋")."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")
