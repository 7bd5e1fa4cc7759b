"""Heat counters: the command screen's key-person heat read from kept rows instead of counting persons.

The pattern is the care counters' (gridwork.counters) and the case rollups': what each key person
(anyone with a key-group tag) adds is kept beside (`HeatEntry`: region, building, sensitive), the
sums per key are kept in `HeatCount`, and every write that changes a person's key moves the person
from the old key to the new one in the same transaction, as INSERT ... ON CONFLICT DO UPDATE SET
n = n + excluded.n: concurrent writers add, never overwrite. Writers of the same person are
serialised by a lock on the person's row.

The key is the region the person is registered in (their own, not its ancestors: the layer draws
points per building, so a read takes the rows under a place by path, and a region moved under
another parent moves no count at all), the building of their household's house (0 for none: such
persons are drawn at their region's centre) and whether any of their tags is a sensitive group.
Seeing sensitive groups is one permission for all of them, and the layer leaves out a person in any
sensitive group for viewers without it, so one flag per person is what the read needs (counts per
group would count a person with two tags twice). A building's coordinates are read with the rows,
so moving a building on the map changes no count.

Who writes: receivers connected in `apps.py` for persons (saved, deleted), their tags, households
(their house changed, deleted) and houses (their building changed, deleted), and `signals.
persons_written` from bulk writers (the persons import). The demo and `yiwang counters --rebuild`
call `rebuild`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery, Sum

from yiwang.core.scope import may_see_sensitive_groups

from .models import SENSITIVE_GROUPS, Building, HeatCount, HeatEntry, Person, PersonTag

# Persons per statement: well inside both databases' parameter limits.
CHUNK = 2000
NO_BUILDING = 0


class Key(NamedTuple):
    region_id: int
    building_id: int
    sensitive: bool


# --- what a person adds ---------------------------------------------------------------------------

def current(person_ids: Iterable[int]) -> dict[int, Key]:
    """person id → the key the person counts under now; persons without a key-group tag (or gone) are absent."""
    sensitive: dict[int, bool] = {}
    for person_id, tag in PersonTag.objects.filter(person_id__in=list(person_ids)).values_list("person_id", "tag"):
        sensitive[person_id] = sensitive.get(person_id, False) or tag in SENSITIVE_GROUPS
    if not sensitive:
        return {}
    rows = Person.objects.filter(pk__in=list(sensitive)).values_list("pk", "region_id", "household__house__building_id")
    return {pk: Key(region_id, building_id or NO_BUILDING, sensitive[pk]) for pk, region_id, building_id in rows}


def _write(deltas: dict[Key, int]) -> None:
    # Sorted: concurrent writers lock shared rows in the same order and cannot deadlock.
    rows = sorted((*key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(HeatCount._meta.db_table)
    columns = ("region_id", "building_id", "sensitive", "n")
    per_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    batch = 5000
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(map(quote, columns))}) VALUES {', '.join([per_row] * len(chunk))} "
                f"ON CONFLICT ({', '.join(map(quote, columns[:-1]))}) DO UPDATE SET {quote('n')} = {table}.{quote('n')} + excluded.{quote('n')}",
                [v for row in chunk for v in row])
    # Keys a person left behind: drop the rows at zero, so that reads meet only live rows.
    emptied = [row[:-1] for row in rows if row[-1] < 0]
    for start in range(0, len(emptied), 200):
        match = reduce(or_, (Q(region_id=r, building_id=b, sensitive=s) for r, b, s in emptied[start:start + 200]))
        HeatCount.objects.filter(match, n=0).delete()


def refresh(person_ids: Iterable[int]) -> int:
    """Bring these persons' heat counts up to date (any change to them, their tags, their household's
    house or its building); returns how many moved. Runs in the caller's transaction, or its own."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    moved = 0
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            # A person's rows are recounted by one writer at a time (a no-op on SQLite, whose writers queue anyway).
            list(Person.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True))
            old = {pk: Key(r, b, s) for pk, r, b, s in
                   HeatEntry.objects.filter(person_id__in=chunk).values_list("person_id", "region_id", "building_id", "sensitive")}
            new = current(chunk)
            changed = [pk for pk in chunk if old.get(pk) != new.get(pk)]
            if not changed:
                continue
            deltas: dict[Key, int] = defaultdict(int)
            for pk in changed:
                if pk in old:
                    deltas[old[pk]] -= 1
                if pk in new:
                    deltas[new[pk]] += 1
            HeatEntry.objects.filter(person_id__in=[pk for pk in changed if pk not in new]).delete()
            HeatEntry.objects.bulk_create([HeatEntry(person_id=pk, **new[pk]._asdict()) for pk in changed if pk in new],
                                          update_conflicts=True, unique_fields=["person_id"], update_fields=["region", "building_id", "sensitive"])
            _write(deltas)
            moved += len(changed)
    return moved


def tagged_persons(**person_filter) -> list[int]:
    """The key persons matching a filter on Person (e.g. household=…): the only ones a write to it may move."""
    lookups = {f"person__{name}": value for name, value in person_filter.items()}
    return list(PersonTag.objects.filter(**lookups).order_by().values_list("person_id", flat=True).distinct())


def forget_under(path: str) -> None:
    """Before a bulk delete of everything under `path` (the demo's): its rows go (no ancestor holds them)."""
    HeatEntry.objects.filter(region__path__startswith=path).delete()
    HeatCount.objects.filter(region__path__startswith=path).delete()


def rebuild() -> int:
    """Recount every key person from scratch; returns how many are counted. One transaction:
    readers see the old or the new counts."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait until the recount commits, then add their change to it.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {HeatCount._meta.db_table}, {HeatEntry._meta.db_table} IN EXCLUSIVE MODE")
        HeatCount.objects.all().delete()
        HeatEntry.objects.all().delete()
        ids = sorted(PersonTag.objects.order_by().values_list("person_id", flat=True).distinct())
        totals: dict[Key, int] = defaultdict(int)
        for start in range(0, len(ids), CHUNK):
            placed = current(ids[start:start + CHUNK])
            HeatEntry.objects.bulk_create([HeatEntry(person_id=pk, **key._asdict()) for pk, key in placed.items()], batch_size=1000)
            for key in placed.values():
                totals[key] += 1
        _write(totals)
    return len(ids)


# --- the read ---------------------------------------------------------------------------------------

def rows(region_path: str, *, viewer, limit: int) -> list[dict]:
    """The kept rows under `region_path` ("" for all) that `viewer` may see, one per (region, building),
    with the building's coordinates (None without a building or without coordinates); at most `limit`."""
    counts = HeatCount.objects.all()
    if region_path:
        counts = counts.filter(region__path__startswith=region_path)
    if not may_see_sensitive_groups(viewer):
        counts = counts.filter(sensitive=False)
    buildings = Building.objects.filter(pk=OuterRef("building_id"))
    return list(counts.order_by().values("region_id", "building_id").annotate(
        n=Sum("n"), lon=Subquery(buildings.values("lon")), lat=Subquery(buildings.values("lat")))[:limit])
