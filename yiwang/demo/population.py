"""Buildings, units, houses, households, persons and key-group tags of one street copy.

Built one community at a time in memory and written parents first, so each level can point at
the primary keys of the one before: buildings and units with bulk_create, the many houses,
households and persons as plain rows (yiwang.core.bulk). What later phases (party, forces) need of
each person is kept in a small `Resident` record.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.utils import timezone

from yiwang.core.bulk import insert_returning
from yiwang.regions.models import Region
from yiwang.registry.models import (
    Building,
    BuildingUnit,
    Gender,
    House,
    Household,
    HouseUse,
    KeyGroup,
    Occupancy,
    Person,
    PersonTag,
    ResidenceType,
)

from . import shapes, vocab
from .identity import IdNumberAllocator, NameMaker, random_phone
from .plan import ADDRESS_PREFIX, CommunityPlan, MicroPlan, StreetCopy

# Ages are counted at this date, not today, so the same seed always gives the same people.
AS_OF = date(2026, 1, 1)
# 开县 became 开州区 (new code 500154) in June 2016; earlier ID numbers keep 500234.
KAIZHOU_RENAMED = date(2016, 6, 1)
BATCH_SIZE = 4000
HOUSE_COLUMNS = ["region", "building", "unit", "number", "floor", "area_m2", "use", "occupancy"]
PERSON_COLUMNS = ["region", "name", "gender", "birth_date", "id_number_sealed", "id_number_digest", "phone_sealed", "phone_digest",
                  "residence_type", "household", "is_household_head", "address", "created_at"]

# Household sizes of an urban street (mean about 2.9 persons).
HOUSEHOLD_SIZES = [1, 2, 3, 4, 5, 6]
HOUSEHOLD_SIZE_WEIGHTS = [16, 27, 27, 17, 8, 5]
FLOATING_SHARE = 0.15


@dataclass(slots=True)
class Resident:
    """What the party and forces phases need to know about a person once it is saved."""

    pk: int
    name: str
    male: bool
    age: int
    phone: str
    micro: Region
    building_name: str


@dataclass(slots=True)
class _Member:
    age: int
    male: bool
    surname: str
    head: bool = False
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class _Home:
    """A household waiting for its row: who lives there and in which house."""

    members: list[_Member]
    floating: bool
    address: str
    micro: MicroPlan
    building_name: str
    house_key: tuple[int, int, str]  # (building, unit, number): how House rows come back
    number: str


@dataclass(slots=True)
class _BuildingSpec:
    name: str
    floors: int
    units: int
    per_floor: int


@dataclass
class StreetResidents:
    by_micro: dict[str, list[Resident]]
    households: int
    persons: int
    tags: int


def _birth_date(age: int, rng: random.Random) -> date:
    return date.fromordinal(AS_OF.toordinal() - age * 365 - age // 4 - rng.randrange(1, 365))


class HouseholdMaker:
    """Plausible families: couples, children, grandparents, elderly living alone."""

    def __init__(self, *, rng: random.Random, names: NameMaker):
        self.rng = rng
        self.names = names

    def members(self, size: int) -> list[_Member]:
        rng = self.rng
        family = self.names.surname()
        if size == 1:
            age = rng.choice([rng.randint(20, 35), rng.randint(36, 64), rng.randint(65, 92)])
            tags = (KeyGroup.ELDERLY_ALONE,) if age >= 65 and rng.random() < 0.6 else ()
            return [_Member(age, rng.random() < 0.5, family, head=True, tags=tags)]
        roll = rng.random()
        if size <= 4 and roll < 0.03:
            # Grandparents bringing up grandchildren whose parents work elsewhere (留守儿童).
            grandparent_age = rng.randint(56, 76)
            members = self._couple(grandparent_age, family) if size >= 3 else [_Member(grandparent_age, rng.random() < 0.4, family, head=True)]
            for _ in range(size - len(members)):
                child_age = rng.randint(3, 15)
                members.append(_Member(child_age, rng.random() < 0.5, family, tags=(KeyGroup.LEFT_BEHIND_CHILD,) if rng.random() < 0.9 else ()))
            return members
        if size == 2 and roll < 0.75:
            age = rng.choice([rng.randint(23, 40), rng.randint(41, 59), rng.randint(60, 88)])
            members = self._couple(age, family)
            if age >= 65 and rng.random() < 0.35:
                for member in members:
                    member.tags = (KeyGroup.EMPTY_NEST,)
            return members
        if size == 2:
            parent_age = rng.randint(28, 55)
            parent = _Member(parent_age, rng.random() < 0.35, family, head=True)
            return [parent, self._child(parent_age, family)]
        # Three or more: a couple, their children, and from five up the head's parents.
        head_age = rng.randint(27, 56)
        members = self._couple(head_age, family)
        grandparents = 2 if size >= 5 else (1 if size == 4 and rng.random() < 0.4 else 0)
        if size == 3 and rng.random() < 0.08:
            grandparents = 1
        for i in range(grandparents):
            members.append(_Member(min(97, head_age + rng.randint(24, 32)), i == 0, family if i == 0 else self.names.surname()))
        while len(members) < size:
            members.append(self._child(head_age, family))
        return members

    def _couple(self, age: int, family: str) -> list[_Member]:
        rng = self.rng
        husband_is_head = rng.random() < 0.85
        partner_age = max(20, age + rng.randint(-4, 3))
        husband = _Member(age, True, family, head=husband_is_head)
        wife = _Member(partner_age, False, self.names.surname(), head=not husband_is_head)
        return [husband, wife]

    def _child(self, parent_age: int, family: str) -> _Member:
        age = parent_age - self.rng.randint(22, 36)
        if age < 0:
            age = self.rng.randint(0, max(0, parent_age - 20))
        return _Member(age, self.rng.random() < 0.52, family)

    def sizes_for(self, persons: int) -> list[int]:
        """Household sizes adding up to exactly `persons` (the last one is trimmed)."""
        sizes, left = [], persons
        while left > 0:
            size = min(left, self.rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_SIZE_WEIGHTS)[0])
            sizes.append(size)
            left -= size
        return sizes


def _building_specs(households: int, *, compound: str, rng: random.Random) -> list[_BuildingSpec]:
    """Buildings with about 8% more homes than households: towers, walk-ups and self-built houses."""
    needed = int(households * 1.08) + (1 if households else 0)
    specs: list[_BuildingSpec] = []
    while needed > 0:
        number = len(specs) + 1
        if needed >= 120 and rng.random() < 0.45:
            units, per_floor = rng.choice([1, 2, 2]), rng.choice([2, 3, 4])
            # No taller than the remaining households need (but still a tower).
            floors = min(rng.randint(18, 32), max(11, math.ceil(needed / (units * per_floor))))
            spec = _BuildingSpec(f"{compound}{number}栋", floors=floors, units=units, per_floor=per_floor)
        elif needed >= 12 and rng.random() < 0.85:
            floors = rng.choice([5, 6, 6, 7])
            units = min(rng.randint(2, 4), math.ceil(needed / (floors * 2)))
            spec = _BuildingSpec(f"{compound}{number}栋", floors=floors, units=units, per_floor=2)
        else:
            spec = _BuildingSpec(f"{compound}{number}号", floors=rng.randint(2, 5), units=1, per_floor=rng.choice([1, 2]))
        specs.append(spec)
        needed -= spec.floors * spec.units * spec.per_floor
    return specs


def _compound_names(count: int, rng: random.Random) -> list[str]:
    names = [a + b for a in vocab.COMPOUND_FIRST for b in vocab.COMPOUND_SECOND]
    rng.shuffle(names)
    # More micro-grids than names: later phases of a compound (二期, 三期) reuse a name.
    phases = ["", "二期", "三期", "四期"]
    return [names[i % len(names)] + phases[min(len(phases) - 1, i // len(names))] for i in range(count)]


class PopulationBuilder:
    def __init__(self, *, seed: int, copy: StreetCopy, ids: IdNumberAllocator):
        self.copy = copy
        self.rng = random.Random(f"{seed}:people:{copy.index}")
        self.points = np.random.default_rng([seed, 3, copy.index])
        self.names = NameMaker(self.rng)
        self.households = HouseholdMaker(rng=self.rng, names=self.names)
        self.ids = ids
        self.compounds = iter(_compound_names(len(copy.micros), self.rng))

    def build(self) -> StreetResidents:
        result = StreetResidents(by_micro={}, households=0, persons=0, tags=0)
        for community in self.copy.communities:
            self._build_community(community, result)
        return result

    def _micro_quotas(self, community: CommunityPlan) -> list[tuple[MicroPlan, int]]:
        quotas = []
        for grid in community.grids:
            total_weight = sum(m.weight for m in grid.micros)
            shares = [int(grid.persons * m.weight / total_weight) for m in grid.micros]
            shares[0] += grid.persons - sum(shares)
            quotas.extend(zip(grid.micros, shares, strict=True))
        return quotas

    def _build_community(self, community: CommunityPlan, result: StreetResidents) -> None:
        rng = self.rng
        address_base = f"{ADDRESS_PREFIX}{self.copy.district.name}{self.copy.street.name}{community.region.name}"
        buildings: list[Building] = []
        building_specs: list[_BuildingSpec] = []
        # Per micro-grid: (micro, its families, index of its first building, how many buildings)
        plans = []
        for micro, persons in self._micro_quotas(community):
            families = [self.households.members(size) for size in self.households.sizes_for(persons)]
            specs = _building_specs(len(families), compound=next(self.compounds), rng=rng)
            positions = shapes.points_inside(micro.shape, len(specs), self.points)
            first_building = len(buildings)
            for number, (spec, (lon, lat)) in enumerate(zip(specs, positions, strict=True), start=1):
                buildings.append(Building(region_id=micro.region.pk, code=f"{micro.region.code}-{number:03d}", name=spec.name,
                                          address=address_base + spec.name, floors=spec.floors, lon=float(lon), lat=float(lat)))
                building_specs.append(spec)
            plans.append((micro, families, first_building, len(specs)))
        Building.objects.bulk_create(buildings, batch_size=BATCH_SIZE)

        units: list[BuildingUnit] = []
        for building, spec in zip(buildings, building_specs, strict=True):
            units.extend(BuildingUnit(building_id=building.pk, number=str(u)) for u in range(1, spec.units + 1))
        BuildingUnit.objects.bulk_create(units, batch_size=BATCH_SIZE)

        # Houses, households and persons go in as plain rows (yiwang.core.bulk): they are most rows.
        house_rows: list[tuple] = []
        homes: list[_Home] = []
        unit_iter = iter(units)
        for micro, families, first_building, building_count in plans:
            micro_houses: list[list] = []
            for building, spec in zip(buildings[first_building:first_building + building_count],
                                      building_specs[first_building:first_building + building_count], strict=True):
                for _ in range(spec.units):
                    unit = next(unit_iter)
                    unit_label = f"{unit.number}单元" if spec.units > 1 else ""
                    for floor in range(1, spec.floors + 1):
                        for position in range(1, spec.per_floor + 1):
                            number = f"{floor}{position:02d}"
                            area = Decimal(f"{rng.uniform(48, 146):.2f}")
                            micro_houses.append([micro.region.pk, building.pk, unit.pk, number, floor, area, HouseUse.RESIDENTIAL.value,
                                                 Occupancy.VACANT.value, f"{building.address}{unit_label}{number}室", spec.name])
            rng.shuffle(micro_houses)
            for index, house in enumerate(micro_houses):
                if index < len(families):
                    floating = rng.random() < FLOATING_SHARE
                    house[7] = (Occupancy.RENTED if floating or rng.random() < 0.1 else Occupancy.OWNER).value
                    homes.append(_Home(members=families[index], floating=floating, address=house[8], micro=micro, building_name=house[9],
                                       house_key=(house[1], house[2], house[3]), number=f"{micro.region.code}-{index + 1:04d}"))
                house_rows.append(tuple(house[:8]))
            micro.region.actual_households = len(families)
        house_keys = insert_returning(House, columns=HOUSE_COLUMNS, rows=house_rows, key=["building", "unit", "number"])
        household_keys = insert_returning(Household, columns=["region", "number", "house"],
                                          rows=[(home.micro.region.pk, home.number, house_keys[home.house_key]) for home in homes], key=["number"])

        # One instance does the sealing, so the model's own set_id_number/set_phone are used
        # without building a model object per person.
        sealer = Person()
        registered_at = timezone.now()
        person_rows: list[tuple] = []
        pending: list[tuple[str, list[str], Resident]] = []
        for home in homes:
            household_pk = household_keys[(home.number,)]
            origin = rng.choice(vocab.FLOATING_ORIGIN_PREFIXES) if home.floating else None
            residence_type = (ResidenceType.FLOATING if home.floating else ResidenceType.REGISTERED).value
            low_income = rng.random() < 0.008
            for member in home.members:
                birth = _birth_date(member.age, rng)
                prefix = origin or (vocab.OLD_KAIZHOU_PREFIX if birth < KAIZHOU_RENAMED else vocab.NEW_KAIZHOU_PREFIX)
                name = member.surname + self.names.given(male=member.male)
                sealer.set_id_number(self.ids.allocate(prefix=prefix, birth_date=birth, male=member.male))
                phone = random_phone(rng) if member.age >= 14 else ""
                sealer.set_phone(phone)
                person_rows.append((home.micro.region.pk, name, (Gender.MALE if member.male else Gender.FEMALE).value, birth,
                                    sealer.id_number_sealed, sealer.id_number_digest, sealer.phone_sealed, sealer.phone_digest,
                                    residence_type, household_pk, member.head, home.address, registered_at))
                tags = list(member.tags) + self._random_tags(member, low_income=low_income)
                pending.append((sealer.id_number_digest, tags,
                                Resident(0, name, member.male, member.age, phone, home.micro.region, home.building_name)))
        person_keys = insert_returning(Person, columns=PERSON_COLUMNS, rows=person_rows, key=["id_number_digest"])

        tags: list[PersonTag] = []
        for digest, person_tags, resident in pending:
            resident.pk = person_keys[(digest,)]
            result.by_micro.setdefault(resident.micro.code, []).append(resident)
            tags.extend(PersonTag(person_id=resident.pk, tag=tag) for tag in person_tags)
        PersonTag.objects.bulk_create(tags, batch_size=BATCH_SIZE)
        for grid in community.grids:
            grid.region.actual_households = sum(m.region.actual_households or 0 for m in grid.micros)
        result.households += len(homes)
        result.persons += len(person_rows)
        result.tags += len(tags)

    def _random_tags(self, member: _Member, *, low_income: bool) -> list[str]:
        """Key groups that fall on individuals, at rates of an ordinary urban street."""
        rng = self.rng
        tags = [KeyGroup.LOW_INCOME] if low_income else []
        roll = rng.random()
        if roll < 0.008:
            tags.append(KeyGroup.DISABLED)
        elif roll < 0.0102 and member.age >= 18:
            tags.append(KeyGroup.MENTAL_ILLNESS)
        elif roll < 0.0107 and 20 <= member.age <= 60:
            tags.append(KeyGroup.COMMUNITY_CORRECTION)
        elif roll < 0.0127 and member.age >= 60:
            tags.append(KeyGroup.SPECIAL_HARDSHIP)
        elif roll < 0.0227 and member.male and 24 <= member.age <= 75:
            tags.append(KeyGroup.VETERAN)
        return tags
