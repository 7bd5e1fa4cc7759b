"""Resident search at a city's scale: each lookup the search box makes (a name from its first
character, an ID number, a phone) is answered from an index on both databases, never by reading
every resident. Asserted on the query plan, not on timings (those live in the benchmarks)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import valid_id_number
from yiwang.core import crypto
from yiwang.registry.models import Person
from yiwang.search import selectors
from yiwang.search.query import parse

pytestmark = pytest.mark.django_db


def _person(region, name: str, n: int) -> Person:
    person = Person(region=region, name=name)
    person.set_id_number(valid_id_number(f"50015419800101{n:03d}"))
    person.set_phone(f"1390000{n:04d}")
    person.save()
    return person


def _first_person_query(user, text: str) -> str:
    """The SQL of the search's first read of the person table, as sent."""
    with CaptureQueriesContext(connection) as captured:
        selectors.search_persons(user=user, query=parse(text))
    return next(q["sql"] for q in captured.captured_queries if 'FROM "registry_person"' in q["sql"])


def _plan(sql: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test table holds a handful of rows, which PostgreSQL would rather read whole: forbid that,
            # so the plan shows whether an index can answer the query at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = on")
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


def _reads_person_by(plan: str, index: str, column: str) -> None:
    """The person table is read through `index` (on SQLite: an index on `column`; a unique constraint's
    index is named by SQLite there), and never whole."""
    if connection.vendor == "postgresql":
        assert index in plan and "Seq Scan on registry_person" not in plan, plan
    else:
        lines = [line.strip() for line in plan.splitlines() if " registry_person " in f"{line} "]
        assert lines and all(line.startswith("SEARCH registry_person USING") and "INDEX" in line and f"({column}" in line for line in lines), plan


@pytest.fixture
def residents(tree):
    names = ["张明", "张明华", "李张明", "王五", "赵六"]
    found = [_person(tree.grid_a if i % 2 else tree.micro_a1, name, i + 1) for i, name in enumerate(names)]
    if connection.vendor == "postgresql":
        # PostgreSQL plans from statistics: with five rows every index looks as good as another. Neighbours
        # in the same grids, and fresh statistics, make it plan as it would for a real street's residents.
        Person.objects.bulk_create(Person(region=tree.grid_a if n % 2 else tree.micro_a1, name=f"居民{n:05d}") for n in range(5000))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE registry_person")
    return found


@pytest.mark.parametrize("who", ["superuser", "district", "street"])
def test_a_name_from_its_first_character_reads_the_name_index(who, users, make_user, residents):
    user = make_user("admin", "district", None, is_superuser=True, is_staff=True) if who == "superuser" else users[who]
    group = selectors.search_persons(user=user, query=parse("张明"))
    assert [p.name for p in group.rows] == ["张明", "张明华"]  # from the first character: not 李张明
    _reads_person_by(_plan(_first_person_query(user, "张明")), "person_name_prefix", "name")


def test_an_id_number_and_a_phone_read_their_digest_indexes(users, residents):
    target = residents[2]
    number = crypto.decrypt(target.id_number_sealed)
    group = selectors.search_persons(user=users["district"], query=parse(number))
    assert [p.pk for p in group.rows] == [target.pk]
    _reads_person_by(_plan(_first_person_query(users["district"], number)), "person_unique_id_number", "id_number_digest")
    phone = crypto.decrypt(target.phone_sealed)
    assert [p.pk for p in selectors.search_persons(user=users["district"], query=parse(phone)).rows] == [target.pk]
    _reads_person_by(_plan(_first_person_query(users["district"], phone)), "person_phone_digest", "phone_digest")


def test_names_match_anywhere_within_a_community_and_a_surname_alone_is_refused_above_a_street(users, residents):
    community = selectors.search_persons(user=users["community"], query=parse("张明"))
    assert [p.name for p in community.rows] == ["张明", "张明华", "李张明"]  # those that start with it first
    assert community.list_page_agrees
    street = selectors.search_persons(user=users["street"], query=parse("张"))
    assert [p.name for p in street.rows] == ["张明", "张明华"]
    district = selectors.search_persons(user=users["district"], query=parse("张"))
    assert district.rows == [] and district.hint


def test_counts_of_many_names_stop_at_the_cap(users, tree, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 25)
    for n in range(30):
        _person(tree.grid_a, f"张明{n:02d}", 100 + n)
    group = selectors.search_persons(user=users["district"], query=parse("张明"))
    assert (len(group.rows), group.count, group.capped) == (selectors.LIMIT, 25, True)
