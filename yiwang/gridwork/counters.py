"""Care counters: key-person care coverage read from kept rows instead of counting persons.

The pattern is the case rollups' (yiwang.cases.rollups): a person under a care plan is counted
under every ancestor of the region they are registered in and that region itself, so a region's
numbers are the rows of that one region (`CareCount`), never a sum over its subtree. What each
person adds is kept beside (`CareEntry`), and every write that changes it moves the person from the
old key to the new one in the same transaction, as INSERT ... ON CONFLICT DO UPDATE SET n = n +
excluded.n: concurrent writers add, never overwrite. Writers of the same person are serialised by a
lock on the person's row.

Coverage depends on the day ("visited within the last N days"), so no count of "covered" can be
kept: tomorrow some of today's covered persons are not. What is kept exactly is the key the status
follows from on any day (gridwork.selectors `care_status`):
- the plan's frequency N and start day, and the day of the last care visit (`NEVER` for
  none), and whether the person is in a sensitive group (viewers without that permission do not
  count them, as on the scan).
On day T a key is covered when last visit > T - N, overdue when not covered and both the last visit
and the plan's start are on or before T - N, else pending. A read sums a region's rows under these
conditions: one statement over at most (frequencies x start days x visit days) rows, whatever the
number of residents.

Time enters in one more place: a plan set to start on a later day changes who follows which plan
on that day, without a write. Such a plan is `counted` = False until the daily job
(`jobs.py` → `count_started_plans`) counts its persons on its first day; meanwhile, and for
departments (need to know: they see persons case by case), the reads count persons as before
(`selectors.care_rows`). A care visit counts from when it is recorded (the scan counts visits
dated up to now; records are never dated more than a few minutes ahead).

Who writes: receivers connected in `apps.py` for persons (saved, deleted), their key-group tags, home
visits and the persons they name, care plans, regions moved, and `registry.signals.persons_written`
from bulk writers (the persons import). The demo and `yiwang counters --rebuild` call `rebuild`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from yiwang.core.scope import ancestor_paths, may_see_sensitive_groups, needs_to_know
from yiwang.regions.models import Level, Region
from yiwang.registry.access import person_rules_apply
from yiwang.registry.models import SENSITIVE_GROUPS, Person, PersonTag

from . import selectors
from .models import CareCount, CareEntry, CarePlan, Frequency, HomeVisit

# The day of the last visit of someone never visited: before every plan's start, so the coverage
# conditions treat it as they treat no visit.
NEVER = date.fromisoformat("0001-01-01")
# Persons per statement: well inside both databases' parameter limits.
CHUNK = 2000


class Key(NamedTuple):
    sensitive: bool
    frequency_days: int
    starts_on: date
    last_visit_on: date


KEY_FIELDS = Key._fields


class Placed(NamedTuple):
    region_id: int
    key: Key


# --- what a person adds ---------------------------------------------------------------------------

def current(person_ids: Iterable[int], *, today: date) -> dict[int, Placed]:
    """person id → where and under which key the person counts now; persons under no plan (or gone) are absent."""
    ids = list(person_ids)
    persons = dict((pk, (region_id, path)) for pk, region_id, path in
                   Person.objects.filter(pk__in=ids).values_list("pk", "region_id", "region__path"))
    tags: dict[int, list[str]] = defaultdict(list)
    for person_id, tag in PersonTag.objects.filter(person_id__in=list(persons)).values_list("person_id", "tag"):
        tags[person_id].append(tag)
    if not tags:
        return {}
    paths = {p for pk in tags for p in ancestor_paths(persons[pk][1])}
    groups = {tag for tagged in tags.values() for tag in tagged}
    plans_by_group: dict[str, list[CarePlan]] = defaultdict(list)
    for plan in CarePlan.objects.filter(active=True, starts_on__lte=today, group__in=groups, region__path__in=paths).select_related("region"):
        plans_by_group[plan.group].append(plan)
    if not plans_by_group:
        return {}
    for plans in plans_by_group.values():
        plans.sort(key=lambda p: len(p.region.path), reverse=True)  # nearest first
    last_visits = dict(HomeVisit.persons.through.objects.filter(person_id__in=list(tags)).order_by().values("person_id")
                       .annotate(last=Max("homevisit__at")).values_list("person_id", "last"))
    placed = {}
    for person_id, tagged in tags.items():
        region_id, path = persons[person_id]
        applying = selectors.applying_plans(path, tagged, plans_by_group)
        if not applying:
            continue
        plan = selectors.followed_plan(applying)
        last = last_visits.get(person_id)
        key = Key(any(tag in SENSITIVE_GROUPS for tag in tagged), plan.frequency_days, plan.starts_on,
                  timezone.localdate(last) if last is not None else NEVER)
        placed[person_id] = Placed(region_id, key)
    return placed


def _chains(region_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """region id → the ids of it and its ancestors."""
    own = dict(Region.objects.filter(pk__in=set(region_ids)).values_list("pk", "path"))
    paths = {p for path in own.values() for p in ancestor_paths(path)}
    ids = dict(Region.objects.filter(path__in=paths).values_list("path", "pk"))
    return {pk: tuple(ids[p] for p in ancestor_paths(path) if p in ids) for pk, path in own.items()}


class Deltas:
    def __init__(self) -> None:
        self.rows: dict[tuple, int] = defaultdict(int)

    def add(self, regions: Iterable[int], key: Key, n: int) -> None:
        for region_id in regions:
            self.rows[(region_id, *key)] += n

    def write(self) -> None:
        # Sorted: concurrent writers lock shared rows in the same order and cannot deadlock.
        rows = sorted((*k, n) for k, n in self.rows.items() if n)
        if not rows:
            return
        quote = connection.ops.quote_name
        table = quote(CareCount._meta.db_table)
        columns = ("region_id", *KEY_FIELDS, "n")
        adapt = connection.ops.adapt_datefield_value
        per_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        batch = max(1, 30_000 // len(columns))
        with connection.cursor() as cursor:
            for start in range(0, len(rows), batch):
                chunk = rows[start:start + batch]
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(map(quote, columns))}) VALUES {', '.join([per_row] * len(chunk))} "
                    f"ON CONFLICT ({', '.join(map(quote, columns[:-1]))}) DO UPDATE SET {quote('n')} = {table}.{quote('n')} + excluded.{quote('n')}",
                    [adapt(v) if isinstance(v, date) else v for row in chunk for v in row])
        # Keys a person left behind: drop the rows at zero, so that reads meet only live rows.
        emptied = [row[:-1] for row in rows if row[-1] < 0]
        for start in range(0, len(emptied), 200):
            match = reduce(or_, (Q(region_id=r, **dict(zip(KEY_FIELDS, key, strict=True))) for r, *key in emptied[start:start + 200]))
            CareCount.objects.filter(match, n=0).delete()


def _entry(person_id: int, placed: Placed) -> CareEntry:
    return CareEntry(person_id=person_id, region_id=placed.region_id, **placed.key._asdict())


def _placed(entry: CareEntry) -> Placed:
    return Placed(entry.region_id, Key(*(getattr(entry, name) for name in KEY_FIELDS)))


def refresh(person_ids: Iterable[int], *, today: date | None = None) -> int:
    """Bring these persons' counts up to date (any change to them, their tags, visits or the plans
    above them); returns how many moved. Runs in the caller's transaction, or its own."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    today = today or timezone.localdate()
    moved = 0
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            # A person's rows are recounted by one writer at a time (a no-op on SQLite, whose writers queue anyway).
            list(Person.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True))
            old = {entry.person_id: _placed(entry) for entry in CareEntry.objects.filter(person_id__in=chunk)}
            new = current(chunk, today=today)
            changed = [pk for pk in chunk if old.get(pk) != new.get(pk)]
            if not changed:
                continue
            chains = _chains({p.region_id for p in old.values()} | {p.region_id for p in new.values()})
            deltas = Deltas()
            for pk in changed:
                if pk in old:
                    deltas.add(chains.get(old[pk].region_id, ()), old[pk].key, -1)
                if pk in new:
                    deltas.add(chains[new[pk].region_id], new[pk].key, +1)
            CareEntry.objects.filter(person_id__in=[pk for pk in changed if pk not in new]).delete()
            CareEntry.objects.bulk_create([_entry(pk, new[pk]) for pk in changed if pk in new], update_conflicts=True,
                                          unique_fields=["person_id"], update_fields=["region", *KEY_FIELDS])
            deltas.write()
            moved += len(changed)
    return moved


def persons_under_plan(plan: CarePlan) -> list[int]:
    return list(PersonTag.objects.filter(tag=plan.group, person__region__path__startswith=plan.region.path)
                .order_by().values_list("person_id", flat=True).distinct())


def plan_changed(plan: CarePlan, *, today: date | None = None) -> None:
    """A plan was set, changed, ended or deleted: its group's persons under its region follow the plans
    in force now. A plan starting on a later day changes nobody yet (unless it was counted before
    its start moved): the daily job counts it on that day."""
    today = today or timezone.localdate()
    started = plan.active and plan.starts_on <= today
    with transaction.atomic():
        if started or plan.counted or not plan.active:
            refresh(persons_under_plan(plan), today=today)
        if plan.pk is not None and plan.counted != started:
            CarePlan.objects.filter(pk=plan.pk).update(counted=started)
            plan.counted = started


def count_started_plans(*, today: date | None = None) -> int:
    """The daily job: plans whose first day has come are counted; returns how many."""
    today = today or timezone.localdate()
    plans = list(CarePlan.objects.filter(active=True, counted=False, starts_on__lte=today).select_related("region"))
    for plan in plans:
        plan_changed(plan, today=today)
    return len(plans)


def region_moved(*, region: Region, old_path: str) -> None:
    """`region` moved from `old_path` (its subtree's paths already follow): its persons' counts leave
    the old ancestors' rows and join the new ones'; then the plans above may differ, so they are recounted."""
    def above(path: str) -> set[int]:
        return set(Region.objects.filter(path__in=ancestor_paths(path)[:-1]).values_list("pk", flat=True))

    old_above, new_above = above(old_path), above(region.path)
    left, joined = old_above - new_above, new_above - old_above
    with transaction.atomic():
        if left or joined:
            deltas = Deltas()
            entries = CareEntry.objects.filter(region__path__startswith=region.path).order_by().values(*KEY_FIELDS).annotate(n=Count("person_id"))
            for row in entries:
                key = Key(*(row[name] for name in KEY_FIELDS))
                deltas.add(left, key, -row["n"])
                deltas.add(joined, key, row["n"])
            deltas.write()
        tagged = PersonTag.objects.filter(person__region__path__startswith=region.path).order_by().values_list("person_id", flat=True).distinct()
        refresh(list(tagged))


def forget_under(path: str) -> None:
    """Before a bulk delete of everything under `path` (the demo's): its persons leave the rows above it."""
    region = Region.objects.filter(path=path).first()
    with transaction.atomic():
        if region is not None:
            above = Region.objects.filter(path__in=ancestor_paths(path)[:-1]).values_list("pk", flat=True)
            deltas = Deltas()
            for row in CareEntry.objects.filter(region__path__startswith=path).order_by().values(*KEY_FIELDS).annotate(n=Count("person_id")):
                deltas.add(above, Key(*(row[name] for name in KEY_FIELDS)), -row["n"])
            deltas.write()
        CareEntry.objects.filter(region__path__startswith=path).delete()
        CareCount.objects.filter(region__path__startswith=path).delete()


def rebuild(*, today: date | None = None) -> int:
    """Recount every person under a plan from scratch; returns how many are counted. One
    transaction: readers see the old or the new counts."""
    today = today or timezone.localdate()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait until the recount commits, then add their change to it.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {CareCount._meta.db_table}, {CareEntry._meta.db_table} IN EXCLUSIVE MODE")
        CareCount.objects.all().delete()
        CareEntry.objects.all().delete()
        plans = list(CarePlan.objects.filter(active=True, starts_on__lte=today).select_related("region"))
        ids = sorted({pk for plan in plans for pk in persons_under_plan(plan)})
        counted = 0
        for start in range(0, len(ids), CHUNK):
            placed = current(ids[start:start + CHUNK], today=today)
            chains = _chains({p.region_id for p in placed.values()})
            deltas = Deltas()
            for p in placed.values():
                deltas.add(chains[p.region_id], p.key, +1)
            CareEntry.objects.bulk_create([_entry(pk, p) for pk, p in placed.items()], batch_size=1000)
            deltas.write()
            counted += len(placed)
        CarePlan.objects.filter(pk__in=[p.pk for p in plans]).update(counted=True)
    return counted


# --- reads ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    under_plan: int = 0
    covered: int = 0
    overdue: int = 0

    @property
    def pending(self) -> int:
        return self.under_plan - self.covered - self.overdue

    def totals(self) -> dict:
        return selectors.totals_of(under_plan=self.under_plan, covered=self.covered, overdue=self.overdue)


def serves(viewer, *, today: date) -> bool:
    """Whether the counters answer for this viewer today: not for departments (need to know is per
    person), nor while a plan whose first day has come waits for the daily job."""
    if viewer is not None and person_rules_apply(viewer) and needs_to_know(viewer):
        return False
    return not CarePlan.objects.filter(active=True, counted=False, starts_on__lte=today).exists()


def _sums(*, today: date) -> dict:
    """The three sums of a region's rows on `today` (see the module docstring)."""
    frequencies = sorted(set(Frequency.values) | set(CarePlan.objects.order_by().values_list("frequency_days", flat=True).distinct()))
    covered, overdue = Q(pk__in=[]), Q(pk__in=[])
    for n in frequencies:
        edge = today - timedelta(days=n)
        covered |= Q(frequency_days=n, last_visit_on__gt=edge)
        overdue |= Q(frequency_days=n, last_visit_on__lte=edge, starts_on__lte=edge)
    return {"under_plan": Sum("n"), "covered": Sum("n", filter=covered), "overdue": Sum("n", filter=overdue)}


def _rows(viewer):
    rows = CareCount.objects.all()
    if viewer is not None and person_rules_apply(viewer) and not may_see_sensitive_groups(viewer):
        rows = rows.filter(sensitive=False)
    return rows


def _counts(row: dict) -> Counts:
    return Counts(row["under_plan"] or 0, row["covered"] or 0, row["overdue"] or 0)


def region_counts(region_path: str, *, viewer, today: date) -> Counts:
    """The persons under a plan in the region at `region_path` and below ("" for all)."""
    rows = _rows(viewer)
    rows = rows.filter(region__path=region_path) if region_path else rows.filter(region__parent__isnull=True)
    return _counts(rows.aggregate(**_sums(today=today)))


def grid_counts(region_path: str, *, viewer, today: date) -> dict[int, Counts]:
    """grid id → its counts, for the grids under `region_path` with anyone under a plan."""
    rows = (_rows(viewer).filter(region__level=Level.GRID, region__path__startswith=region_path).order_by()
            .values("region_id").annotate(**_sums(today=today)))
    return {row["region_id"]: _counts(row) for row in rows if row["under_plan"]}


def care_coverage(region_path: str, *, viewer, worst: int, today: date | None = None) -> dict:
    """The command screen's panel: totals and the `worst` grids by coverage (those with anyone under a
    plan), from the counters when they serve this viewer, else from the scan."""
    today = today or timezone.localdate()
    if not serves(viewer, today=today):
        rows = selectors.care_rows(region_path=region_path, viewer=viewer, today=today)
        totals = selectors.totals(rows)
        cells = [g for g in selectors.coverage_by_grid(rows, region_path=region_path) if g.under_plan and g.grid.path.startswith(region_path)]
    else:
        totals = region_counts(region_path, viewer=viewer, today=today).totals()
        counts = grid_counts(region_path, viewer=viewer, today=today)
        grids = Region.objects.in_bulk(list(counts))
        cells = [selectors.GridCoverage(grid=grids[pk], under_plan=c.under_plan, covered=c.covered, pending=c.pending, overdue=c.overdue)
                 for pk, c in counts.items()]
    cells.sort(key=lambda g: (g.rate if g.rate is not None else 2, g.grid.path))
    shown = cells[:worst]
    workers = selectors.grid_worker_names([g.grid for g in shown])
    for cell in shown:
        cell.workers = workers.get(cell.grid.pk, [])
    return {"totals": totals, "grids": shown, "grid_count": len(cells)}


def coverage(region_path: str, *, viewer, today: date | None = None) -> tuple[dict, list[selectors.GridCoverage]]:
    """(totals, every grid's coverage) as `selectors.totals` and `selectors.coverage_by_grid` answer
    them from the scan, from the counters when they serve this viewer."""
    today = today or timezone.localdate()
    if not serves(viewer, today=today):
        rows = selectors.care_rows(region_path=region_path, viewer=viewer, today=today)
        return selectors.totals(rows), selectors.coverage_by_grid(rows, region_path=region_path)
    return region_counts(region_path, viewer=viewer, today=today).totals(), coverage_by_grid(region_path, viewer=viewer, today=today)


def coverage_by_grid(region_path: str, *, viewer, today: date) -> list[selectors.GridCoverage]:
    """What `selectors.coverage_by_grid` answers from the scan: every grid under `region_path` (or
    the grid above it) with its counts and grid workers."""
    grids = sorted(selectors.grids_for(region_path).values(), key=lambda g: g.path)
    counts = grid_counts(region_path, viewer=viewer, today=today)
    workers = selectors.grid_worker_names(grids)
    cells = []
    for grid in grids:
        # The grid above a micro-grid: only the micro-grid's persons are asked for.
        c = counts.get(grid.pk, Counts()) if grid.path.startswith(region_path) else region_counts(region_path, viewer=viewer, today=today)
        cells.append(selectors.GridCoverage(grid=grid, under_plan=c.under_plan, covered=c.covered, pending=c.pending, overdue=c.overdue,
                                            workers=workers.get(grid.pk, [])))
    return cells
