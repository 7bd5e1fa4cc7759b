"""The shape of the demo before it reaches the database: which regions exist, where, and how
many people each grid should hold. Pure Python and shapely; no queries."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon

from yiwang.regions.models import DedicatedKind, GridKind, Level, Region

from . import shapes, vocab

DISTRICT_CODE = "500154"
DISTRICT_NAME = "开州区"
ADDRESS_PREFIX = "重庆市"
YUNFENG_STREET = "500154003"
STREETS_FILE = "stats_gov_2023_streets.csv"
# Synthetic districts (scale beyond what 开州区's free street codes hold) live under 5099xx,
# a block no real Chongqing division uses, so they can never be mistaken for real ones.
SYNTHETIC_DISTRICT_PREFIX = "5099"
STREET_CODES_PER_DISTRICT = range(1, 400)  # 001-099 streets, 100-199 towns, 200-399 townships

# The town centre of Kaizhou (汉丰湖 area), WGS-84.
ORIGIN_LON, ORIGIN_LAT = 108.39, 31.16
# A street of the demo covers 20-30 km²; a district's radius grows with its number of streets.
DISTRICT_RADIUS_KM_PER_SQRT_STREET = 2.8

# 云枫街道 in the seed article: 10 communities, 115 grids, 393 micro-grids, ~400 households a grid.
COMMUNITIES_PER_STREET = 10
GRIDS_PER_STREET = 115
MICRO_GRIDS_PER_STREET = 393
MICRO_GRIDS_PER_DEDICATED_GRID = 2
GRID_TARGET_HOUSEHOLDS = 400
DEDICATED_TARGET_HOUSEHOLDS = 120
# The seed's own counts (115 grids of ~400 households over 393 micro-grids) put ~120 households in a
# micro-grid, not the ~50 that is usual elsewhere; the demo follows the seed.
MICRO_GRID_TARGET_HOUSEHOLDS = 120
PERSONS_PER_STREET = 140_000


def read_district_streets(*, data_dir: Path, district_code: str = DISTRICT_CODE) -> list[tuple[str, str]]:
    """(9-digit code, name) of every street and town of the district, in code order."""
    path = data_dir / STREETS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"The demo needs the official street list {path} (from stats.gov.cn, 2023). "
            "It ships in the repository's data/china; YIWANG_CHINA_DATA_DIR names another folder that holds it."
        )
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(row["code"], row["name"]) for row in csv.DictReader(handle) if row["areaCode"] == district_code]
    if not rows:
        raise ValueError(f"{path} lists no streets for district {district_code}")
    return sorted(rows)


@dataclass(frozen=True)
class DedicatedPlace:
    kind: str  # DedicatedKind
    name: str
    place_kind: str  # PlaceKind of the place the grid is named after


@dataclass(eq=False)
class MicroPlan:
    region: Region
    shape: Polygon  # lon/lat
    weight: float  # share of its grid's persons


@dataclass(eq=False)
class GridPlan:
    region: Region
    shape: Polygon
    micros: list[MicroPlan]
    persons: int = 0
    dedicated_place: DedicatedPlace | None = None


@dataclass(eq=False)
class CommunityPlan:
    region: Region
    short_name: str
    shape: Polygon
    grids: list[GridPlan]


@dataclass(eq=False)
class StreetCopy:
    """One 云枫-like street: communities, grids, micro-grids and its persons target."""

    index: int
    district: Region
    street: Region
    shape: Polygon
    communities: list[CommunityPlan]
    regions: list[Region] = field(default_factory=list)  # communities, grids, micro-grids, parents first

    @property
    def grids(self) -> list[GridPlan]:
        return [grid for community in self.communities for grid in community.grids]

    @property
    def micros(self) -> list[MicroPlan]:
        return [micro for grid in self.grids for micro in grid.micros]

    def add(self, region: Region) -> Region:
        self.regions.append(region)
        return region


@dataclass(eq=False)
class StreetSlot:
    """A street to be built out as a 云枫-like copy; planned only when its turn comes, so a
    large --scale never holds every grid in memory."""

    index: int
    district: Region
    street: Region
    street_km: Polygon


@dataclass
class DemoPlan:
    seed: int
    persons_per_street: int
    plane: shapes.LocalPlane
    districts: list[Region] = field(default_factory=list)
    streets: list[Region] = field(default_factory=list)
    slots: list[StreetSlot] = field(default_factory=list)
    # The district's other real streets: a light structure of their own (plan_light_streets).
    light_slots: list[StreetSlot] = field(default_factory=list)


def _region(*, parent: Region | None, level: str, code: str, name: str, shape: Polygon, **extra) -> Region:
    """An unsaved Region with everything save() would have derived, for bulk_create."""
    region = Region(parent=parent, level=level, code=code, name=name, boundary=shapes.to_geojson(shape), **extra)
    region.derive_fields()
    return region


def _split(total: int, parts: int, *, low: int, high: int, rng: random.Random) -> list[int]:
    """`parts` integers in [low, high] summing to `total`, unevenly."""
    counts = [total // parts] * parts
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    for _ in range(parts * 4):
        give, take = rng.randrange(parts), rng.randrange(parts)
        if give != take and counts[give] > low and counts[take] < high:
            counts[give] -= 1
            counts[take] += 1
    return counts


def _name_pool(rng: random.Random, *, exclude: set[str]) -> list[str]:
    pool = [a + b for a in vocab.PLACE_FIRST for b in vocab.PLACE_SECOND if a + b not in exclude]
    rng.shuffle(pool)
    return pool


def build_plan(*, seed: int, scale: int, persons_per_street: int, data_dir: Path, streets_per_district: int | None = None) -> DemoPlan:
    """Districts and streets of the demo, with boundaries, and the `scale` streets to build
    out like 云枫街道 (云枫 itself first). `streets_per_district` caps the streets of each district
    (开州区's real ones included), so a large scale makes a city of several districts; by default a
    district takes as many as its codes allow (399)."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    cap = min(streets_per_district or len(STREET_CODES_PER_DISTRICT), len(STREET_CODES_PER_DISTRICT))
    structure = random.Random(f"{seed}:structure")
    geometry = np.random.default_rng([seed, 1])
    plane = shapes.LocalPlane(lon0=ORIGIN_LON, lat0=ORIGIN_LAT)
    real_streets = read_district_streets(data_dir=data_dir)
    real_codes = {code for code, _ in real_streets}
    urban_streets = [(code, name) for code, name in real_streets if int(code[6:]) < 100]
    if YUNFENG_STREET not in {code for code, _ in urban_streets}:
        raise ValueError(f"{data_dir / STREETS_FILE} has no 云枫街道（{YUNFENG_STREET}）")
    free_codes = [f"{DISTRICT_CODE}{n:03d}" for n in STREET_CODES_PER_DISTRICT if f"{DISTRICT_CODE}{n:03d}" not in real_codes]

    # Streets per district: 开州区 holds the 8 real ones plus as many synthetic as its free codes
    # (and the cap) allow; the rest go to synthetic districts of up to `cap` streets each.
    extra = scale - 1
    districts: list[tuple[str, str, list[tuple[str, str, bool]]]] = []
    # Synthetic names never repeat a real street's or town's (竹溪镇 rules out 竹溪街道).
    street_names = _name_pool(structure, exclude={name.removesuffix("街道").removesuffix("镇").removesuffix("乡") for _, name in real_streets})
    kaizhou = [(code, name, code == YUNFENG_STREET) for code, name in urban_streets]
    for i, code in enumerate(free_codes[:max(0, min(extra, cap - len(kaizhou)))]):
        kaizhou.append((code, f"{street_names[i % len(street_names)]}街道", True))
    districts.append((DISTRICT_CODE, DISTRICT_NAME, kaizhou))
    extra -= len(kaizhou) - len(urban_streets)
    number = 0
    while extra > 0:
        number += 1
        count = min(extra, cap)
        code = f"{SYNTHETIC_DISTRICT_PREFIX}{number:02d}"
        streets = [(f"{code}{n:03d}", f"{street_names[(n - 1) % len(street_names)]}街道", True) for n in range(1, count + 1)]
        districts.append((code, f"演示{number}区", streets))
        extra -= count

    plan = DemoPlan(seed=seed, persons_per_street=persons_per_street, plane=plane)
    east_edge = None
    for district_code, district_name, streets in districts:
        radius = DISTRICT_RADIUS_KM_PER_SQRT_STREET * len(streets) ** 0.5
        # Synthetic districts line up east of 开州区, a few kilometres apart.
        center_x = 0.0 if east_edge is None else east_edge + 3 + radius * 1.35
        district_km = shapes.outline(center=(center_x, 0.0), radius_km=radius, rng=structure)
        east_edge = district_km.bounds[2]
        district = _region(parent=None, level=Level.DISTRICT, code=district_code, name=district_name, shape=plane.to_lonlat(district_km))
        plan.districts.append(district)
        for (street_code, street_name, yunfeng_like), street_km in zip(streets, shapes.tile(district_km, len(streets), geometry), strict=True):
            street = _region(parent=district, level=Level.STREET, code=street_code + "000", name=street_name, shape=plane.to_lonlat(street_km))
            plan.streets.append(street)
            if yunfeng_like:
                plan.slots.append(StreetSlot(index=len(plan.slots), district=district, street=street, street_km=street_km))
            else:
                plan.light_slots.append(StreetSlot(index=len(plan.light_slots), district=district, street=street, street_km=street_km))
    return plan


def plan_street_copy(plan: DemoPlan, slot: StreetSlot) -> StreetCopy:
    """Communities, grids and micro-grids of one 云枫-like street, and who lives where."""
    seed, index, district, street, street_km, plane = plan.seed, slot.index, slot.district, slot.street, slot.street_km, plan.plane
    # Each copy draws from its own streams, so copy k looks the same whatever the scale.
    structure = random.Random(f"{seed}:street:{index}")
    geometry = np.random.default_rng([seed, 2, index])
    if index == 0:
        community_names = list(vocab.YUNFENG_COMMUNITIES)
    else:
        community_names = _name_pool(structure, exclude=set())[:COMMUNITIES_PER_STREET]
    grid_counts = _split(GRIDS_PER_STREET, COMMUNITIES_PER_STREET, low=9, high=14, rng=structure)

    # Dedicated grids: one in each of five communities, never grid 001/002 (the demo's two
    # neighbouring grid-worker logins) and never a community's only grids.
    street_short_name = street.name.removesuffix("街道")
    dedicated_at: dict[tuple[int, int], DedicatedPlace] = {}
    chosen_communities = structure.sample(range(COMMUNITIES_PER_STREET), len(vocab.DEDICATED_PLACES))
    for (kind, yunfeng_name, suffix, place_kind), community_index in zip(vocab.DEDICATED_PLACES, chosen_communities, strict=True):
        grid_index = structure.randrange(2, grid_counts[community_index])
        place_name = yunfeng_name if index == 0 else street_short_name + suffix
        dedicated_at[(community_index, grid_index)] = DedicatedPlace(kind=kind, name=place_name, place_kind=place_kind)

    regular_grids = GRIDS_PER_STREET - len(dedicated_at)
    spare_micros = MICRO_GRIDS_PER_STREET - len(dedicated_at) * MICRO_GRIDS_PER_DEDICATED_GRID - regular_grids * 3
    four_micro_grids = set(structure.sample(range(regular_grids), spare_micros))

    copy = StreetCopy(index=index, district=district, street=street, shape=plane.to_lonlat(street_km), communities=[])
    regular_number = 0
    for community_index, (community_km, short_name, grid_count) in enumerate(
        zip(shapes.tile(street_km, COMMUNITIES_PER_STREET, geometry), community_names, grid_counts, strict=True)
    ):
        community_code = f"{street.code[:9]}{community_index + 1:03d}"
        community_shape = plane.to_lonlat(community_km)
        community = copy.add(_region(parent=street, level=Level.COMMUNITY, code=community_code, name=f"{short_name}社区", shape=community_shape))
        community_plan = CommunityPlan(region=community, short_name=short_name, shape=community_shape, grids=[])
        copy.communities.append(community_plan)
        for grid_index, grid_km in enumerate(shapes.tile(community_km, grid_count, geometry)):
            grid_code = f"{community_code}{grid_index + 1:03d}"
            dedicated = dedicated_at.get((community_index, grid_index))
            grid_shape = plane.to_lonlat(grid_km)
            if dedicated:
                micro_count = MICRO_GRIDS_PER_DEDICATED_GRID
                grid = copy.add(_region(parent=community, level=Level.GRID, code=grid_code, name=f"{dedicated.name}专属网格", shape=grid_shape,
                                        grid_kind=GridKind.DEDICATED, dedicated_kind=DedicatedKind(dedicated.kind),
                                        target_households=DEDICATED_TARGET_HOUSEHOLDS))
            else:
                micro_count = 4 if regular_number in four_micro_grids else 3
                regular_number += 1
                grid = copy.add(_region(parent=community, level=Level.GRID, code=grid_code, name=f"{community.name}第{grid_index + 1}网格",
                                        shape=grid_shape, grid_kind=GridKind.REGULAR, target_households=GRID_TARGET_HOUSEHOLDS))
            grid_plan = GridPlan(region=grid, shape=grid_shape, micros=[], dedicated_place=dedicated)
            community_plan.grids.append(grid_plan)
            for micro_index, micro_km in enumerate(shapes.tile(grid_km, micro_count, geometry)):
                micro_shape = plane.to_lonlat(micro_km)
                micro = copy.add(_region(parent=grid, level=Level.MICRO_GRID, code=f"{grid_code}{micro_index + 1:02d}",
                                         name=f"{grid.name}第{micro_index + 1}微网格", shape=micro_shape,
                                         target_households=MICRO_GRID_TARGET_HOUSEHOLDS))
                grid_plan.micros.append(MicroPlan(region=micro, shape=micro_shape, weight=structure.uniform(0.6, 1.4)))

    _share_persons(copy, persons=plan.persons_per_street, rng=structure)
    return copy


# The district's other streets are not built out like 云枫 (no residents, party or forces), but each
# has a few communities and grids, bounded like 云枫's, so the demo history covers every street.
LIGHT_COMMUNITIES = (4, 6)
LIGHT_GRIDS_PER_COMMUNITY = (3, 5)
LIGHT_MICRO_GRIDS_PER_GRID = 2


def plan_light_streets(plan: DemoPlan) -> list[Region]:
    """Communities, grids and micro-grids of the light streets, parents first."""
    structure = random.Random(f"{plan.seed}:light")
    geometry = np.random.default_rng([plan.seed, 3])
    names = _name_pool(structure, exclude=set(vocab.YUNFENG_COMMUNITIES))
    regions: list[Region] = []
    for slot in plan.light_slots:
        street = slot.street
        community_count = structure.randint(*LIGHT_COMMUNITIES)
        for community_index, community_km in enumerate(shapes.tile(slot.street_km, community_count, geometry)):
            community_code = f"{street.code[:9]}{community_index + 1:03d}"
            community = _region(parent=street, level=Level.COMMUNITY, code=community_code, name=f"{names.pop()}社区",
                                shape=plan.plane.to_lonlat(community_km))
            regions.append(community)
            grid_count = structure.randint(*LIGHT_GRIDS_PER_COMMUNITY)
            for grid_index, grid_km in enumerate(shapes.tile(community_km, grid_count, geometry)):
                grid_code = f"{community_code}{grid_index + 1:03d}"
                grid = _region(parent=community, level=Level.GRID, code=grid_code, name=f"{community.name}第{grid_index + 1}网格",
                               shape=plan.plane.to_lonlat(grid_km), grid_kind=GridKind.REGULAR, target_households=GRID_TARGET_HOUSEHOLDS,
                               actual_households=0)  # no residents registered (yet)
                regions.append(grid)
                for micro_index, micro_km in enumerate(shapes.tile(grid_km, LIGHT_MICRO_GRIDS_PER_GRID, geometry)):
                    regions.append(_region(parent=grid, level=Level.MICRO_GRID, code=f"{grid_code}{micro_index + 1:02d}",
                                           name=f"{grid.name}第{micro_index + 1}微网格", shape=plan.plane.to_lonlat(micro_km),
                                           target_households=MICRO_GRID_TARGET_HOUSEHOLDS, actual_households=0))
    return regions


def _share_persons(copy: StreetCopy, *, persons: int, rng: random.Random) -> None:
    """Regular grids get similar shares (300-500 households at full size); dedicated grids less."""
    weights = [rng.uniform(0.15, 0.3) if grid.dedicated_place else rng.uniform(0.84, 1.04) for grid in copy.grids]
    total = sum(weights)
    shares = [int(persons * w / total) for w in weights]
    for i in range(persons - sum(shares)):
        shares[i % len(shares)] += 1
    for grid, share in zip(copy.grids, shares, strict=True):
        grid.persons = share
