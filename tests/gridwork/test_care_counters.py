"""The care counters (yiwang.gridwork.counters): after any sequence of writes the kept rows equal a
recount from scratch, and what the reads give equals counting persons (selectors.care_rows), on
today and on later days (coverage depends on the day; the rows must not)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.gridwork import factories as gw
from yiwang.gridwork import counters, selectors
from yiwang.gridwork.models import CareCount, CareEntry, CarePlan, HomeVisit
from yiwang.registry.models import Person, PersonTag

GROUPS = ["elderly_alone", "disabled", "TS01"]  # TS01 is a sensitive group
LATER = [0, 8, 31, 95]  # days after today on which the reads are compared with the scan


def _rows() -> list[tuple]:
    return sorted(CareCount.objects.filter(n__gt=0).values_list("region_id", "sensitive", "frequency_days", "starts_on", "last_visit_on", "n"))


def _entries() -> list[tuple]:
    return sorted(CareEntry.objects.values_list("person_id", "region_id", "sensitive", "frequency_days", "starts_on", "last_visit_on"))


def _check_against_scan(tree, *, today, viewer=None) -> None:
    for place in (tree.district, tree.street, tree.community, tree.grid_a, tree.micro_a1, tree.other_street):
        rows = selectors.care_rows(region_path=place.path, today=today, viewer=viewer)
        assert counters.region_counts(place.path, viewer=viewer, today=today).totals() == selectors.totals(rows), (place.name, today)
        scanned = [(g.grid.pk, g.under_plan, g.covered, g.pending, g.overdue) for g in selectors.coverage_by_grid(rows, region_path=place.path)]
        kept = [(g.grid.pk, g.under_plan, g.covered, g.pending, g.overdue) for g in counters.coverage_by_grid(place.path, viewer=viewer, today=today)]
        assert kept == scanned, (place.name, today)
    everything = selectors.care_rows(region_path="", today=today, viewer=viewer)
    assert counters.region_counts("", viewer=viewer, today=today).totals() == selectors.totals(everything)


def _check(tree, viewers=()) -> None:
    today = timezone.localdate()
    kept, entries = _rows(), _entries()
    with transaction.atomic():
        counters.rebuild(today=today)
        assert (_rows(), _entries()) == (kept, entries), "the kept counters differ from a recount"
        transaction.set_rollback(True)
    for days in LATER:
        day = today + timedelta(days=days)
        with transaction.atomic():
            # On a later day the job counts the plans that started meanwhile; then the rows are exact again.
            counters.count_started_plans(today=day)
            assert counters.serves(None, today=day)
            for viewer in (None, *viewers):
                _check_against_scan(tree, today=day, viewer=viewer)
            transaction.set_rollback(True)


new_persons = st.tuples(st.just("person"), st.integers(0, 4), st.sets(st.sampled_from(GROUPS), min_size=1, max_size=2))
new_plans = st.tuples(st.just("plan"), st.integers(0, 2), st.sampled_from(GROUPS), st.sampled_from([7, 14, 30, 90]), st.integers(-100, 20))
writes = st.one_of(
    st.tuples(st.just("person"), st.integers(0, 4), st.sets(st.sampled_from(GROUPS), max_size=2)),
    st.tuples(st.just("tag"), st.integers(0, 30), st.sampled_from(GROUPS)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 4)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("visit"), st.lists(st.integers(0, 30), min_size=1, max_size=3), st.integers(0, 120)),
    st.tuples(st.just("revisit"), st.integers(0, 30), st.integers(0, 120)),
    st.tuples(st.just("unvisit"), st.integers(0, 30), st.sampled_from(["delete", "clear", "remove"])),
    st.tuples(st.just("plan"), st.integers(0, 2), st.sampled_from(GROUPS), st.sampled_from([7, 14, 30, 90]), st.integers(-100, 20)),
    st.tuples(st.just("end"), st.integers(0, 30)),
    st.tuples(st.just("restart"), st.integers(0, 30), st.integers(-30, 20)),  # a plan's start moved (the admin)
)


def _apply(tree, write) -> None:
    homes = [tree.micro_a1, tree.micro_a2, tree.grid_a, tree.micro_b1, tree.grid_b]
    planned = [tree.district, tree.street, tree.community]
    persons = list(Person.objects.order_by("pk"))
    visits = list(HomeVisit.objects.order_by("pk"))
    today = timezone.localdate()
    kind, *args = write
    if kind == "person":
        person = factories.person(homes[args[0]])
        for tag in args[1]:
            PersonTag.objects.create(person=person, tag=tag)
    elif kind in ("tag", "move", "delete") and persons:
        person = persons[args[0] % len(persons)]
        if kind == "tag":
            existing = PersonTag.objects.filter(person=person, tag=args[1]).first()
            existing.delete() if existing else PersonTag.objects.create(person=person, tag=args[1])
        elif kind == "move":
            person.region = homes[args[1]]
            person.save()
        else:
            person.delete()
    elif kind == "visit" and persons:
        named = {persons[i % len(persons)] for i in args[0]}
        gw.homevisit(next(iter(named)).region, persons=list(named), at=timezone.now() - timedelta(days=args[1], hours=1))
    elif kind in ("revisit", "unvisit") and visits:
        visit = visits[args[0] % len(visits)]
        if kind == "revisit":
            visit.at = timezone.now() - timedelta(days=args[1], hours=1)
            visit.save()
        elif args[1] == "delete":
            visit.delete()
        elif args[1] == "clear":
            visit.persons.clear()
        else:
            first = visit.persons.first()
            if first is not None:
                visit.persons.remove(first)
    elif kind == "plan":
        region, group, frequency, offset = planned[args[0]], args[1], args[2], args[3]
        current = CarePlan.objects.filter(region=region, group=group, active=True).first()
        if current is not None:
            current.active, current.ends_on = False, max(today, current.starts_on)
            current.save()
        CarePlan.objects.create(region=region, group=group, frequency_days=frequency, starts_on=today + timedelta(days=offset))
    elif kind in ("end", "restart"):
        plans = list(CarePlan.objects.filter(active=True).order_by("pk"))
        if plans:
            plan = plans[args[0] % len(plans)]
            if kind == "end":
                plan.active, plan.ends_on = False, max(today, plan.starts_on)
            else:
                plan.starts_on = today + timedelta(days=args[1])
            plan.save()


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(start=st.tuples(st.lists(new_plans, min_size=1, max_size=3), st.lists(new_persons, min_size=1, max_size=6)),
       sequence=st.lists(writes, min_size=1, max_size=14))
def test_after_any_writes_the_counters_equal_a_recount_and_the_scan(tree, start, sequence):
    with transaction.atomic():
        for write in [*start[0], *start[1], *sequence]:
            _apply(tree, write)
        event(f"persons under a plan: {'some' if CareEntry.objects.exists() else 'none'}")
        _check(tree)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_viewers_without_the_sensitive_permission_do_not_count_sensitive_persons(tree, users, tagged):
    today = timezone.localdate()
    gw.careplan(tree.street, group="TS01", frequency_days=30, starts_on=today - timedelta(days=40))
    gw.careplan(tree.street, group="elderly_alone", frequency_days=7, starts_on=today - timedelta(days=40))
    tagged(tree.micro_a1, "TS01")
    both = tagged(tree.micro_a2, "TS01", "elderly_alone")
    tagged(tree.micro_b1, "elderly_alone")
    gw.homevisit(tree.micro_a2, persons=[both], at=timezone.now() - timedelta(days=2))
    street = counters.region_counts(tree.street.path, viewer=users["street"], today=today)
    community = counters.region_counts(tree.street.path, viewer=users["community"], today=today)
    assert (street.under_plan, community.under_plan, community.covered) == (1, 3, 1)
    _check(tree, viewers=(users["street"], users["community"], users["worker_a"]))


@pytest.mark.django_db
def test_departments_and_plans_not_yet_counted_are_read_from_the_scan(tree, users, tagged):
    today = timezone.localdate()
    assert counters.serves(users["street"], today=today)
    assert not counters.serves(users["department"], today=today)  # need to know is per person
    plan = gw.careplan(tree.community, group="elderly_alone", frequency_days=7, starts_on=today + timedelta(days=3))
    tagged(tree.micro_a1, "elderly_alone")
    assert counters.serves(None, today=today) and not CarePlan.objects.get(pk=plan.pk).counted
    later = today + timedelta(days=3)
    assert not counters.serves(None, today=later)  # its first day came and the job has not run yet
    panel = counters.care_coverage(tree.community.path, viewer=None, worst=12, today=later)
    assert panel["totals"]["under_plan"] == 1  # from the scan meanwhile
    assert counters.count_started_plans(today=later) == 1
    assert counters.serves(None, today=later) and CarePlan.objects.get(pk=plan.pk).counted
    assert counters.region_counts(tree.community.path, viewer=None, today=later).under_plan == 1


@pytest.mark.django_db
def test_a_region_moved_under_another_parent_takes_its_counts_along(tree, tagged):
    today = timezone.localdate()
    gw.careplan(tree.district, group="elderly_alone", frequency_days=7, starts_on=today - timedelta(days=10))
    gw.careplan(tree.street, group="disabled", frequency_days=7, starts_on=today - timedelta(days=10))
    tagged(tree.micro_b1, "elderly_alone")
    tagged(tree.micro_b1, "disabled")  # under the street's plan only while grid B stays in the street
    tagged(tree.micro_a1, "elderly_alone")
    assert counters.region_counts(tree.community.path, viewer=None, today=today).under_plan == 3
    tree.grid_b.parent = tree.other_street
    tree.grid_b.save()
    assert counters.region_counts(tree.community.path, viewer=None, today=today).under_plan == 1
    assert counters.region_counts(tree.other_street.path, viewer=None, today=today).under_plan == 1
    assert counters.region_counts(tree.district.path, viewer=None, today=today).under_plan == 2
    _check(tree)


@pytest.mark.django_db
def test_the_persons_import_counts_its_tagged_persons(tree, tmp_path):
    from yiwang.registry.importing import import_persons

    today = timezone.localdate()
    gw.careplan(tree.community, group="elderly_alone", frequency_days=30, starts_on=today - timedelta(days=5))
    header = "姓名,身份证号,联系电话,性别,人口类型,网格编码,户编号,是否户主,重点人群,现住址"
    rows = [f"居民{n},{factories.valid_id_number(f'50015419850601{n:03d}')},1380013{n:04d},,户籍,{tree.grid_a.code},,,{tags},永先路{n}号"
            for n, tags in ((1, "独居老人"), (2, ""), (3, "独居老人、残疾人"))]
    source = tmp_path / "居民.csv"
    source.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert import_persons(source=source, progress=False).created == 3
    assert counters.region_counts(tree.grid_a.path, viewer=None, today=today).totals()["under_plan"] == 2
    _check(tree)
