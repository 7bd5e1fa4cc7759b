"""A small community to re-divide (shared with tests/browser/test_advisor_browser.py): 12 buildings in a 4 × 3 block across 永先社区's two grids.

Grid 001 (west, two columns) holds 6 buildings of 90 households (540, over the 500 ceiling) with
all the cases; grid 002 (east) holds 6 of 60 (360). A good division moves one column's worth of
households at most; cutting north from south instead would move about half of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

COLUMNS = (108.3025, 108.3075, 108.3125, 108.3175)
ROWS = (31.1017, 31.105, 31.1083)


@dataclass
class Block:
    buildings: dict  # code → Building
    grid_of: dict  # code → grid Region today


@pytest.fixture
def block(tree) -> Block:
    from yiwang.registry.models import Building, House, Household, Person

    buildings, grid_of = {}, {}
    households, persons = [], []
    for col, lon in enumerate(COLUMNS):
        for row, lat in enumerate(ROWS):
            grid = tree.grid_a if col < 2 else tree.grid_b
            code = f"YX-{col + 1}{row + 1}"
            building = Building.objects.create(region=grid, code=code, name=f"{col + 1}-{row + 1}栋", lon=lon, lat=lat)
            buildings[code], grid_of[code] = building, grid
            size = 90 if col < 2 else 60
            for n in range(size):
                house = House.objects.create(region=grid, building=building, number=f"{n + 1:03d}")
                households.append(Household(region=grid, house=house, number=f"H{code}-{n:03d}"))
    Household.objects.bulk_create(households)
    for household in Household.objects.filter(number__endswith="-000"):
        persons.append(Person(region=household.region, household=household, name="户主"))
    Person.objects.bulk_create(persons)
    return Block(buildings=buildings, grid_of=grid_of)


@pytest.fixture
def busy_west(tree, block):
    """Cases by grid 001's eastern column, so today grid 001 carries all the work."""
    from tests import factories

    now = timezone.now()
    made = []
    for code in ("YX-21", "YX-22", "YX-23"):
        b = block.buildings[code]
        for i in range(8):
            case = factories.case(tree.grid_a)
            case.lon, case.lat, case.reported_at = b.lon + 0.0003, b.lat, now - timedelta(days=i)
            case.save(update_fields=["lon", "lat", "reported_at"])
            made.append(case)
    return made
