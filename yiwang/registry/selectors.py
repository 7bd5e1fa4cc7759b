"""Read-side queries over the registry."""

from __future__ import annotations

from yiwang.core import crypto
from yiwang.core.scope import is_resident

from .models import Building, Place, PlaceKind

# Places whose names residents may see on the map: institutions anyone finds on a street sign.
# Shops, enterprises and the like are staff-only (the register holds their contacts and checks).
PUBLIC_PLACE_KINDS = (PlaceKind.SCHOOL, PlaceKind.HOSPITAL, PlaceKind.PUBLIC_VENUE)
# The map's own base shows at most this many buildings and as many places for one view.
BASEMAP_LIMIT = 500

BBox = tuple[float, float, float, float]


def _in_bbox(qs, bbox: BBox):
    min_lon, min_lat, max_lon, max_lat = bbox
    return qs.filter(lon__gte=min_lon, lon__lte=max_lon, lat__gte=min_lat, lat__lte=max_lat)


def _bounded(qs, fields: tuple[str, ...]) -> tuple[list[dict], bool]:
    rows = list(qs.order_by("pk").values(*fields)[: BASEMAP_LIMIT + 1])
    return rows[:BASEMAP_LIMIT], len(rows) > BASEMAP_LIMIT


def basemap_features(user, bbox: BBox) -> dict:
    """Named buildings and places with a position inside `bbox`, within the user's scope."""
    buildings, more_buildings = _bounded(_in_bbox(Building.objects.restrict(user), bbox), ("name", "lon", "lat"))
    places, more_places = _bounded(_in_bbox(Place.objects.restrict(user), bbox), ("name", "kind", "lon", "lat"))
    return {"buildings": buildings, "places": places, "truncated": more_buildings or more_places}


def public_basemap_features(bbox: BBox) -> dict:
    """What anyone may see on the map inside `bbox`: the names of public places, nothing else."""
    places, more = _bounded(_in_bbox(Place.objects.filter(kind__in=PUBLIC_PLACE_KINDS), bbox), ("name", "kind", "lon", "lat"))
    return {"buildings": [], "places": places, "truncated": more}


def own_contact(user) -> dict[str, str]:
    """A signed-in resident's own name and phone from their registry row, to fill in their own forms.
    Nobody else's: staff read a resident's phone only through `services.reveal_person`, logged."""
    person = getattr(user, "person", None) if is_resident(user) else None
    if person is None:
        return {"name": "", "phone": ""}
    return {"name": person.name, "phone": crypto.decrypt(person.phone_sealed)}
