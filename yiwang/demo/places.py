"""Places (场所/单位) and components (部件) of one street copy, located inside micro-grids."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from yiwang.registry import component_types
from yiwang.registry.models import Component, ComponentStatus, ComponentType, Place, PlaceKind

from . import shapes, vocab
from .identity import NameMaker, credit_code, random_phone
from .plan import ADDRESS_PREFIX, MicroPlan, StreetCopy

BATCH_SIZE = 4000

# Components per grid (部件, GB/T 47678.5 codes): (type code, name, min, max, IoT device prefix).
GRID_COMPONENTS = [
    ("01037", "路灯", 1, 3, ""),
    ("01011", "燃气井盖", 0, 2, ""),
    ("01013", "消防设施", 0, 2, ""),
    ("01054", "充电桩", 0, 2, "CDZ"),
    ("05001", "监控摄像头", 0, 1, "SXT"),
]
SMOKE_DETECTOR = "05002"


@dataclass
class StreetPlaces:
    places: list[Place]
    property_companies: list[tuple[Place, MicroPlan]]
    components: int


class ComponentCodes:
    """部件标识码: district code + type code + a 6-digit sequence per district and type,
    shared by all copies so codes stay unique at any scale."""

    def __init__(self):
        self._next: dict[tuple[str, str], int] = {}

    def next(self, *, district_code: str, type_code: str) -> str:
        key = (district_code, type_code)
        self._next[key] = self._next.get(key, 0) + 1
        return f"{district_code}{type_code}{self._next[key]:06d}"


def build_places(*, seed: int, copy: StreetCopy, component_codes: ComponentCodes) -> StreetPlaces:
    rng = random.Random(f"{seed}:places:{copy.index}")
    points = np.random.default_rng([seed, 4, copy.index])
    names = NameMaker(rng)
    district_code = copy.district.code
    street_short = copy.street.name.removesuffix("街道")
    places: list[Place] = []
    property_companies: list[tuple[Place, MicroPlan]] = []

    def add(kind: str, name: str, micro: MicroPlan, *, credit: str = "") -> Place:
        lon, lat = shapes.points_inside(micro.shape, 1, points)[0]
        place = Place(region_id=micro.region.pk, name=name, kind=kind, credit_code=credit, contact_name=names.full(male=rng.random() < 0.55),
                      address=f"{ADDRESS_PREFIX}{copy.district.name}{copy.street.name}{micro.region.name}", lon=float(lon), lat=float(lat))
        place.set_phone(random_phone(rng))
        places.append(place)
        return place

    def brand() -> str:
        return rng.choice([names.surname() + "记", rng.choice(vocab.COMPOUND_FIRST), street_short, rng.choice(vocab.PLACE_FIRST) + rng.choice(vocab.PLACE_SECOND)])

    for community in copy.communities:
        add(PlaceKind.PUBLIC_VENUE, f"{community.region.name}党群服务中心", community.grids[0].micros[0])
        for grid in community.grids:
            if grid.dedicated_place:
                micro = grid.micros[0]
                add(grid.dedicated_place.place_kind, grid.dedicated_place.name, micro,
                    credit=credit_code(rng, region_prefix=district_code, institution=grid.dedicated_place.place_kind in {"school", "hospital"}))
                continue
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
                add(PlaceKind.SHOP, brand() + rng.choice(vocab.SHOP_KINDS), rng.choice(grid.micros),
                    credit=credit_code(rng, region_prefix=district_code, individual=True))
            # 三合一场所 (living, working and storing under one roof): a few dozen per street.
            if rng.random() < 0.32:
                add(PlaceKind.THREE_IN_ONE, brand() + rng.choice(vocab.THREE_IN_ONE_KINDS), rng.choice(grid.micros),
                    credit=credit_code(rng, region_prefix=district_code, individual=True))
            if rng.random() < 0.35:
                add(PlaceKind.ENTERPRISE, f"开州{brand()}{rng.choice(vocab.ENTERPRISE_KINDS)}", rng.choice(grid.micros),
                    credit=credit_code(rng, region_prefix=district_code))
            if rng.random() < 0.05:
                add(PlaceKind.SCHOOL, brand() + rng.choice(vocab.SCHOOL_KINDS), rng.choice(grid.micros),
                    credit=credit_code(rng, region_prefix=district_code, institution=True))
            if rng.random() < 0.04:
                add(PlaceKind.HOSPITAL, brand() + rng.choice(vocab.HOSPITAL_KINDS), rng.choice(grid.micros),
                    credit=credit_code(rng, region_prefix=district_code, individual=True))
        # One or two property companies per community manage its compounds.
        for _ in range(rng.choice([1, 1, 2])):
            micro = rng.choice(rng.choice(community.grids).micros)
            company = add(PlaceKind.PROPERTY_COMPANY, f"重庆{brand()}{rng.choice(vocab.PROPERTY_COMPANIES)}", micro,
                          credit=credit_code(rng, region_prefix=district_code))
            property_companies.append((company, micro))
        venue_micro = rng.choice(rng.choice(community.grids).micros)
        add(PlaceKind.PUBLIC_VENUE, f"{community.short_name}{rng.choice(vocab.PUBLIC_VENUES)}", venue_micro)
    Place.objects.bulk_create(places, batch_size=BATCH_SIZE)

    wanted = {c[0] for c in GRID_COMPONENTS} | {SMOKE_DETECTOR}
    component_types.ensure()
    types = dict(ComponentType.objects.filter(code__in=wanted).values_list("code", "pk"))
    if wanted - types.keys():
        raise RuntimeError(f"component types {sorted(wanted - types.keys())} are missing; run `yiwang migrate` first")
    components: list[Component] = []

    def component(type_code: str, label: str, micro_region_id: int, lon: float, lat: float, device_prefix: str) -> None:
        code = component_codes.next(district_code=district_code, type_code=type_code)
        status = ComponentStatus.DAMAGED if rng.random() < 0.03 else ComponentStatus.NORMAL
        components.append(Component(region_id=micro_region_id, type_id=types[type_code], code=code, name=f"{label}{code[-4:]}",
                                    device_id=f"{device_prefix}-{code[-10:]}" if device_prefix else "", status=status, lon=lon, lat=lat))

    for grid in copy.grids:
        for type_code, label, low, high, device_prefix in GRID_COMPONENTS:
            for _ in range(rng.randint(low, high)):
                micro = rng.choice(grid.micros)
                lon, lat = shapes.points_inside(micro.shape, 1, points)[0]
                component(type_code, label, micro.region.pk, float(lon), float(lat), device_prefix)
    # Every 三合一 place has a networked smoke detector (烟感报警器) on site.
    for place in places:
        if place.kind == PlaceKind.THREE_IN_ONE:
            component(SMOKE_DETECTOR, "烟感报警器", place.region_id, place.lon, place.lat, "YG")
    Component.objects.bulk_create(components, batch_size=BATCH_SIZE)
    return StreetPlaces(places=places, property_companies=property_companies, components=len(components))
