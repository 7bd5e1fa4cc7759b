"""The heat counters (yiwang.registry.heat): after any sequence of writes the kept rows equal a
recount from scratch, and the command screen's key-person heat read from them equals what counting
persons gave (the old read, kept here as the oracle), for every place and for viewers with and
without the sensitive-group permission."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests import factories
from yiwang.command.layers import _centre, _place_q, key_person_heat
from yiwang.core.scope import may_see_sensitive_groups
from yiwang.regions.models import Region
from yiwang.registry import heat
from yiwang.registry.models import SENSITIVE_GROUPS, Building, HeatCount, HeatEntry, House, Household, Person, PersonTag

GROUPS = ["elderly_alone", "disabled", "TS01"]  # TS01 is a sensitive group
assert "TS01" in SENSITIVE_GROUPS


def scanned_heat(place, *, user=None) -> dict:
    """The heat layer as it read before the counters: counting tagged persons on every read."""
    tags = PersonTag.objects.filter(_place_q(place, field="person__region__path"))
    if not may_see_sensitive_groups(user):
        tags = tags.exclude(person_id__in=PersonTag.objects.filter(tag__in=SENSITIVE_GROUPS).values("person_id"))
    rows = (tags.order_by().values("person__household__house__building__lon", "person__household__house__building__lat", "person__region_id")
            .annotate(n=Count("person", distinct=True)))
    points: dict[tuple[float, float], int] = {}
    missing: dict[int, int] = {}
    persons = located = 0
    for row in rows:
        lon, lat, n = row["person__household__house__building__lon"], row["person__household__house__building__lat"], row["n"]
        persons += n
        if lon is not None and lat is not None:
            points[(lat, lon)] = points.get((lat, lon), 0) + n
            located += n
        else:
            missing[row["person__region_id"]] = missing.get(row["person__region_id"], 0) + n
    for region in Region.objects.filter(pk__in=list(missing)):
        centre = _centre(region)
        if centre is not None:
            points[(centre[1], centre[0])] = points.get((centre[1], centre[0]), 0) + missing[region.pk]
    return {"points": [[lat, lon, n] for (lat, lon), n in points.items()], "persons": persons, "located": located,
            "by_grid_centre": persons - located}


def _same(a: dict) -> dict:
    return {**a, "points": sorted(map(tuple, a["points"]))}


def _kept() -> tuple[list, list]:
    return (sorted(HeatCount.objects.filter(n__gt=0).values_list("region_id", "building_id", "sensitive", "n")),
            sorted(HeatEntry.objects.values_list("person_id", "region_id", "building_id", "sensitive")))


def _check(tree, viewers=()) -> None:
    kept = _kept()
    assert not HeatCount.objects.filter(n__lte=0).exists(), "rows at zero or below are left behind"
    with transaction.atomic():
        heat.rebuild()
        assert _kept() == kept, "the kept counters differ from a recount"
        transaction.set_rollback(True)
    for place in (None, tree.district, tree.street, tree.community, tree.grid_a, tree.grid_b, tree.micro_a1, tree.other_street):
        for viewer in (None, *viewers):
            assert _same(key_person_heat(place, user=viewer)) == _same(scanned_heat(place, user=viewer)), (place and place.name, viewer)


@pytest.fixture
def homes(tree):
    """Buildings (two on the same spot, one without coordinates), a house in each, a household in each house."""
    spots = [(108.301, 31.101), (108.302, 31.102), (108.302, 31.102), (None, None)]
    regions = [tree.micro_a1, tree.micro_a2, tree.grid_b, tree.micro_b1]
    households = []
    for (lon, lat), region in zip(spots, regions, strict=True):
        house = factories.house(region)
        Building.objects.filter(pk=house.building_id).update(lon=lon, lat=lat)
        households.append(Household.objects.create(region=region, number=f"H{house.pk:08d}", house=house))
    return households


new_persons = st.tuples(st.just("person"), st.integers(0, 4), st.integers(-1, 3), st.sets(st.sampled_from(GROUPS), max_size=2))
# The persons first written are key persons with a home, so that the writes after them move something.
key_persons = st.tuples(st.just("person"), st.integers(0, 4), st.integers(0, 3), st.sets(st.sampled_from(GROUPS), min_size=1, max_size=2))
writes = st.one_of(
    new_persons,
    st.tuples(st.just("tag"), st.integers(0, 7), st.sampled_from(GROUPS)),
    st.tuples(st.just("move"), st.integers(0, 7), st.integers(0, 4)),
    st.tuples(st.just("rehome"), st.integers(0, 7), st.integers(-1, 3)),  # the person's household changed (or none)
    st.tuples(st.just("delete"), st.integers(0, 7)),
    st.tuples(st.just("household_moves"), st.integers(0, 7), st.integers(-1, 7)),  # a household to another house (or none)
    st.tuples(st.just("house_moves"), st.integers(0, 7), st.integers(0, 7)),  # a house corrected to another building
    st.tuples(st.just("delete_household"), st.integers(0, 7)),
    st.tuples(st.just("delete_house"), st.integers(0, 7)),
    st.tuples(st.just("new_house"), st.integers(0, 4)),
    st.tuples(st.just("relocate_building"), st.integers(0, 7), st.sampled_from([(108.301, 31.101), (108.305, 31.105), (None, None)])),
    st.tuples(st.just("region_moves"), st.booleans()),  # grid B moved to the other street (and back)
)


def _pick(rows, i):
    return rows[i % len(rows)] if rows and i >= 0 else None


def _apply(tree, write) -> None:
    regions = [tree.micro_a1, tree.micro_a2, tree.grid_a, tree.micro_b1, tree.grid_b]
    persons = list(Person.objects.order_by("pk"))
    households = list(Household.objects.order_by("pk"))
    houses = list(House.objects.order_by("pk"))
    buildings = list(Building.objects.order_by("pk"))
    kind, *args = write
    if kind == "person":
        person = factories.person(regions[args[0]])
        if (household := _pick(households, args[1])) is not None:
            person.household = household
            person.save(update_fields=["household"])
        for tag in args[2]:
            PersonTag.objects.create(person=person, tag=tag)
    elif kind in ("tag", "move", "rehome", "delete") and persons:
        person = _pick(persons, args[0])
        if kind == "tag":
            existing = PersonTag.objects.filter(person=person, tag=args[1]).first()
            existing.delete() if existing else PersonTag.objects.create(person=person, tag=args[1])
        elif kind == "move":
            person.region = regions[args[1]]
            person.save()
        elif kind == "rehome":
            person.household = _pick(households, args[1])
            person.save()
        else:
            person.delete()
    elif kind == "household_moves" and households:
        household = _pick(households, args[0])
        household.house = _pick(houses, args[1])
        household.save(update_fields=["house"])
    elif kind == "house_moves" and houses and buildings:
        house = _pick(houses, args[0])
        house.building = _pick(buildings, args[1])
        house.save()
    elif kind == "delete_household" and households:
        _pick(households, args[0]).delete()
    elif kind == "delete_house" and houses:
        _pick(houses, args[0]).delete()
    elif kind == "new_house":
        house = factories.house(regions[args[0]])
        Household.objects.create(region=house.region, number=f"H{house.pk:08d}", house=house)
    elif kind == "relocate_building" and buildings:
        building = _pick(buildings, args[0])
        building.lon, building.lat = args[1]
        building.save()
    elif kind == "region_moves":
        tree.grid_b.refresh_from_db()
        tree.grid_b.parent = tree.other_street if args[0] else tree.community
        tree.grid_b.save()


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(start=st.lists(key_persons, min_size=2, max_size=6), sequence=st.lists(writes, min_size=1, max_size=20))
def test_after_any_writes_the_counters_equal_a_recount_and_the_layer_equals_counting_persons(tree, homes, users, start, sequence):
    with transaction.atomic():
        for write in [*start, *sequence]:
            _apply(tree, write)
        event(f"key persons: {'some' if HeatEntry.objects.exists() else 'none'}")
        _check(tree, viewers=(users["street"], users["community"]))
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_viewers_without_the_sensitive_permission_do_not_see_sensitive_persons(tree, homes, users):
    for tags, household in ((("TS01",), homes[0]), (("TS01", "elderly_alone"), homes[0]), (("elderly_alone",), homes[1]), (("disabled",), None)):
        person = factories.person(tree.micro_a1)
        person.household = household
        person.save()
        for tag in tags:
            PersonTag.objects.create(person=person, tag=tag)
    factories.person(tree.micro_a1)  # no key group: not in the heat
    street, community = (key_person_heat(tree.street, user=users[name]) for name in ("street", "community"))
    assert (street["persons"], street["located"], street["by_grid_centre"]) == (2, 1, 1)
    assert (community["persons"], community["located"]) == (4, 3)
    assert [108.301, 31.101] not in [p[:2][::-1] for p in street["points"]]  # the sensitive persons' building shows no point
    assert [31.101, 108.301, 2] in community["points"]
    _check(tree, viewers=(users["street"], users["community"]))


@pytest.mark.django_db
def test_a_region_moved_under_another_parent_takes_its_heat_along(tree, homes):
    person = factories.person(tree.micro_b1)
    person.household = homes[2]
    person.save()
    PersonTag.objects.create(person=person, tag="elderly_alone")
    assert key_person_heat(tree.community)["persons"] == 1
    tree.grid_b.parent = tree.other_street
    tree.grid_b.save()
    assert key_person_heat(tree.community)["persons"] == 0
    assert key_person_heat(tree.other_street)["points"] == [[31.102, 108.302, 1]]
    _check(tree)


@pytest.mark.django_db
def test_the_persons_import_counts_its_key_persons(tree, tmp_path):
    from yiwang.registry.importing import import_persons

    header = "姓名,身份证号,联系电话,性别,人口类型,网格编码,户编号,是否户主,重点人群,现住址"
    rows = [f"居民{n},{factories.valid_id_number(f'50015419850601{n:03d}')},1380013{n:04d},,户籍,{tree.grid_a.code},,,{tags},永先路{n}号"
            for n, tags in ((1, "独居老人"), (2, ""), (3, "独居老人、残疾人"))]
    source = tmp_path / "居民.csv"
    source.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert import_persons(source=source, progress=False).created == 3
    assert key_person_heat(tree.grid_a)["persons"] == 2
    _check(tree)


@pytest.mark.django_db
def test_the_counters_command_rebuilds_the_heat(tree, homes):
    person = factories.person(tree.micro_a2)
    PersonTag.objects.create(person=person, tag="disabled")
    HeatCount.objects.all().delete()
    HeatEntry.objects.all().delete()
    assert key_person_heat(tree.street)["persons"] == 0
    call_command("counters", "--rebuild")
    assert key_person_heat(tree.street)["persons"] == 1
    _check(tree)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_tagging_persons_of_one_building_at_once_both_count(tree, homes):
    from tests.concurrency import race

    persons = []
    for _ in range(4):
        person = factories.person(tree.micro_a1)
        person.household = homes[0]
        person.save()
        persons.append(person)

    def tag(person, group):
        return lambda: PersonTag.objects.create(person=person, tag=group)

    # Four writers add to the same counter row (same region, building, not sensitive) at the same moment.
    race([tag(p, g) for p, g in zip(persons, ["elderly_alone", "disabled", "elderly_alone", "disabled"], strict=True)])
    assert list(HeatCount.objects.values_list("n", flat=True)) == [4]
    assert key_person_heat(tree.micro_a1)["points"] == [[31.101, 108.301, 4]]
    _check(tree)
