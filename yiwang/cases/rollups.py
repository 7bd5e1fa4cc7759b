"""Case rollups: the counts the command center asks for, kept up to date as cases change, so that
its screen never scans the case table.

Two tables (models in `models.py`):
- `CaseRollup`: per region, period (a day and, again, its month), board and handling department,
  the counts of the cases *reported* in that period that `indicators.Indicators` is made of
  (cases, closed, closed on time, late, rated, satisfied, ...). A case is counted under every
  ancestor of its grid, the grid itself and its micro-grid, so a region's numbers are the rows of
  that one region, never a sum over its subtree.
- `OpenCaseRollup`: the cases open now, per region, board, department, day reported and day due
  (`close_due_at`'s date; `NO_DUE` when there is no deadline or the clock was paused before it).
  "Overdue now" is the rows due before today plus the few open cases due earlier today (read from
  the case table by its `close_due_at` index).

Every save of a Case (`Case.save`) applies the difference between what the case added before
and what it adds now, in the same transaction, as one INSERT ... ON CONFLICT DO UPDATE that adds
to the counters (both databases take the same statement; concurrent writers add, never overwrite).
Bulk writers that bypass `save` (the historic import, the demo history) call `add_cases` or
`rebuild`; moving a region under another parent calls `region_moved` (Region.save).

The reads at the bottom turn the rows back into `Indicators`, so the formulas stay those of
`indicators.py` (tested to agree with it case for case).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from .indicators import Indicators
from .models import DONE_STATUSES, OPEN_STATUSES, VOID_STATUSES, Case, CaseRollup, OpenCaseRollup, Rating

NO_DUE = date(9999, 12, 31)
DAY, MONTH = "d", "m"

# CaseRollup's counters, in this order everywhere below.
COUNTS = ("cases", "voided", "closed", "closed_on_time", "closed_late", "closed_undated", "handled", "reworked",
          "extended", "settled_overdue", "rated", "satisfied", "basic")  # fmt: skip
OPEN_COUNTS = ("open_cases", "flagged")

# The Case fields a case's contribution depends on; saving a case with none of them changed is free.
FIELDS = ("status", "region_id", "micro_grid_id", "board", "handling_department_id", "reported_at", "close_due_at",
          "closed_at", "paused_at", "rating", "handled_at", "rework_count", "extension_count", "ever_overdue")  # fmt: skip


class Contribution(NamedTuple):
    """What one case adds: its counters under (board, department, day reported), and, while it is
    open, one open case under (board, department, day reported, day due)."""

    board: str
    department_key: int
    reported_on: date
    counts: tuple[int, ...]
    due_on: date | None  # None: not open
    flagged: int  # open and ever overdue


def snapshot(case: Case) -> tuple:
    return tuple(getattr(case, name) for name in FIELDS)


def contribution(values: tuple) -> Contribution:
    """The pure rule: a snapshot (FIELDS' values) → what the case adds to the rollups."""
    (status, _region, _micro, board, department_id, reported_at, close_due_at, closed_at, paused_at, rating, handled_at,
     rework_count, extension_count, ever_overdue) = values  # fmt: skip
    reported_on = timezone.localdate(reported_at)
    if status in VOID_STATUSES:
        counts = (0, 1) + (0,) * (len(COUNTS) - 2)
        return Contribution(board, department_id or 0, reported_on, counts, None, 0)
    done = status in DONE_STATUSES
    dated = done and close_due_at is not None and closed_at is not None
    late = dated and closed_at > close_due_at
    handled = handled_at is not None
    counts = (
        1, 0, int(done), int(dated and not late), int(late), int(done and not dated), int(handled),
        int(handled and rework_count >= 1), int(extension_count >= 1), int(bool(ever_overdue) or late), int(rating != ""),
        int(rating == Rating.SATISFIED), int(rating == Rating.BASIC),
    )  # fmt: skip
    due_on = None
    if status in OPEN_STATUSES:
        # A clock paused before its deadline is not running towards it (see indicators._conditions).
        paused_before_due = paused_at is not None and close_due_at is not None and close_due_at > paused_at
        due_on = NO_DUE if close_due_at is None or paused_before_due else timezone.localdate(close_due_at)
    return Contribution(board, department_id or 0, reported_on, counts, due_on, int(bool(ever_overdue) and due_on is not None))


def month_of(day: date) -> date:
    return day.replace(day=1)


class Deltas:
    """Differences to add to both tables, netted per row key before anything is written."""

    def __init__(self) -> None:
        self.counts: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(COUNTS))
        self.open: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, regions: Iterable[int], part: Contribution, sign: int) -> None:
        for region in regions:
            for grain, period in ((DAY, part.reported_on), (MONTH, month_of(part.reported_on))):
                row = self.counts[(region, grain, period, part.board, part.department_key)]
                for i, n in enumerate(part.counts):
                    row[i] += sign * n
            if part.due_on is not None:
                row = self.open[(region, part.board, part.department_key, part.reported_on, part.due_on)]
                row[0] += sign
                row[1] += sign * part.flagged

    def write(self) -> None:
        # Sorted: concurrent writers then lock shared rows in the same order and cannot deadlock.
        counts = sorted((*key, *row) for key, row in self.counts.items() if any(row))
        opened = sorted((*key, *row) for key, row in self.open.items() if any(row))
        _upsert(CaseRollup, ("region_id", "grain", "period", "board", "department_key"), COUNTS, counts)
        _upsert(OpenCaseRollup, ("region_id", "board", "department_key", "reported_on", "due_on"), OPEN_COUNTS, opened)
        if opened:
            # Closed cases leave zero rows behind; drop them so "open now" reads only live rows.
            OpenCaseRollup.objects.filter(open_cases=0, region_id__in={r[0] for r in opened},
                                          reported_on__in={r[3] for r in opened}).delete()


def _upsert(model, keys: tuple[str, ...], counters: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [model._meta.get_field(name.removesuffix("_id")).column if name.endswith("_id") else name for name in (*keys, *counters)]
    adapt = connection.ops.adapt_datefield_value
    per_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    update = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in counters)
    batch = max(1, 30_000 // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            params = [adapt(v) if isinstance(v, date) else v for row in chunk for v in row]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(map(quote, columns))}) VALUES {', '.join([per_row] * len(chunk))} "
                f"ON CONFLICT ({', '.join(map(quote, columns[:len(keys)]))}) DO UPDATE SET {update}", params)


class RegionChains:
    """region id → the ids of it and its ancestors (root first), from one read of the tree."""

    def __init__(self, region_ids: Iterable[int] | None = None) -> None:
        from yiwang.regions.models import Region, ancestor_paths

        rows = Region.objects.filter(pk__in=set(region_ids)) if region_ids is not None else Region.objects.all()
        own = dict(rows.values_list("pk", "path"))
        paths = {p for path in own.values() for p in ancestor_paths(path)}
        ids = dict(Region.objects.filter(path__in=paths).values_list("path", "pk"))
        self.chains = {pk: tuple(ids[p] for p in ancestor_paths(path) if p in ids) for pk, path in own.items()}

    def of(self, region_id: int, micro_grid_id: int | None) -> tuple[int, ...]:
        chain = self.chains.get(region_id, ())
        return chain + (micro_grid_id,) if micro_grid_id and micro_grid_id not in chain else chain


def case_saved(case: Case, before: tuple | None, after: tuple) -> None:
    """Called by Case.save inside its transaction: move the case's counts from `before` (None for a
    new case) to `after` (both snapshots)."""
    if before == after:
        return
    chains = RegionChains({after[1]} | ({before[1]} if before else set()))
    deltas = Deltas()
    if before is not None:
        deltas.add(chains.of(before[1], before[2]), contribution(before), -1)
    deltas.add(chains.of(after[1], after[2]), contribution(after), +1)
    deltas.write()


def case_deleted(sender, instance: Case, **kwargs) -> None:
    """post_delete of a Case (connected in apps.py): its counts leave the rollups. A QuerySet.delete()
    sends this per row; set-based raw deletes (the demo's) clear the rows themselves."""
    before = getattr(instance, "_rollup_before", None)
    if before is None:
        if not all(name in instance.__dict__ for name in FIELDS):
            return  # nothing known to subtract; `yiwang rollups --rebuild` recounts
        before = snapshot(instance)
    deltas = Deltas()
    deltas.add(RegionChains({before[1]}).of(before[1], before[2]), contribution(before), -1)
    deltas.write()


def add_cases(case_ids: Iterable[int], *, chunk: int = 20_000) -> int:
    """Count cases written without `save` (bulk inserts) into the rollups; returns how many."""
    case_ids = list(case_ids)
    done = 0
    for start in range(0, len(case_ids), chunk):
        rows = list(Case.objects.filter(pk__in=case_ids[start:start + chunk]).order_by().values_list(*FIELDS))
        done += _add_rows(rows)
    return done


def _add_rows(rows: list[tuple]) -> int:
    chains = RegionChains({row[1] for row in rows})
    deltas = Deltas()
    for row in rows:
        deltas.add(chains.of(row[1], row[2]), contribution(row), +1)
    deltas.write()
    return len(rows)


def rebuild(*, chunk: int = 50_000) -> int:
    """Recount every case from scratch (after bulk deletes, region moves or a restore); returns
    the number of cases counted. One transaction: readers see the old or the new counts."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait at their next upsert until the recount commits, then add their change to
            # it; without the lock a change committed mid-recount would be counted twice.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {CaseRollup._meta.db_table}, {OpenCaseRollup._meta.db_table} IN EXCLUSIVE MODE")
        CaseRollup.objects.all().delete()
        OpenCaseRollup.objects.all().delete()
        chains = RegionChains()
        done, last = 0, 0
        while True:
            rows = list(Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", *FIELDS)[:chunk])
            if not rows:
                return done
            last = rows[-1][0]
            deltas = Deltas()
            for pk, *values in rows:
                deltas.add(chains.of(values[1], values[2]), contribution(tuple(values)), +1)
            deltas.write()
            done += len(rows)


def region_moved(*, region, old_path: str, chunk: int = 50_000) -> None:
    """`region` moved from `old_path` to `region.path` (its subtree's paths already follow): its
    cases leave the old ancestors' rows and join the new ones'. Rows of the subtree's own regions
    keep their ids and need nothing. Runs in the move's transaction."""
    from yiwang.regions.models import Region, ancestor_paths

    above_old = set(Region.objects.filter(path__in=ancestor_paths(old_path)[:-1]).values_list("pk", flat=True))
    above_new = set(Region.objects.filter(path__in=ancestor_paths(region.path)[:-1]).values_list("pk", flat=True))
    left, joined = sorted(above_old - above_new), sorted(above_new - above_old)
    if not left and not joined:
        return  # a new code under the same parent
    last = 0
    while True:
        rows = list(Case.objects.filter(region__path__startswith=region.path, pk__gt=last).order_by("pk").values_list("pk", *FIELDS)[:chunk])
        if not rows:
            return
        last = rows[-1][0]
        deltas = Deltas()
        for _pk, *values in rows:
            part = contribution(tuple(values))
            deltas.add(left, part, -1)
            deltas.add(joined, part, +1)
        deltas.write()


# Reads ---------------------------------------------------------------------------------------------

def split_period(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """[start, end) as whole months (their first days) plus the day ranges [a, b) around them."""
    months: list[date] = []
    first = start if start.day == 1 else _next_month(start)
    cursor = first
    while _next_month(cursor) <= end:
        months.append(cursor)
        cursor = _next_month(cursor)
    if not months:
        return [], [(start, end)] if start < end else []
    days = [(a, b) for a, b in ((start, months[0]), (_next_month(months[-1]), end)) if a < b]
    return months, days


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)



def _period_q(start: date, end: date) -> Q:
    months, days = split_period(start, end)
    q = Q(pk__in=[])
    if months:
        q |= Q(grain=MONTH, period__in=months)
    for a, b in days:
        q |= Q(grain=DAY, period__gte=a, period__lt=b)
    return q


GROUPS = {"region": "region_id", "board": "board", "department": "department_key", "day": "period", None: None}


@dataclass(frozen=True)
class Filter:
    """Which rows: regions (ids; each row counted under its own region id), an optional period of
    report dates [start, end), boards (None: all)."""

    regions: tuple[int, ...]
    start: date | None = None
    end: date | None = None
    boards: tuple[str, ...] | None = None


def counted(f: Filter, *, by: str | None = None, as_of: datetime | None = None) -> dict:
    """{group key: Indicators} over the filter (one key, None, when by is None). Three small reads:
    the counters, the open rows, and the open cases due earlier today."""
    if by not in GROUPS:
        raise ValueError(f"group by {by!r}: choose one of {', '.join(k for k in GROUPS if k)}")
    if (f.start is None) != (f.end is None):
        raise ValueError("a period needs both its start and its end")
    if by == "day" and f.start is None:
        raise ValueError("a day-by-day count needs a period")
    as_of = as_of or timezone.now()
    today = timezone.localdate(as_of)
    group = GROUPS[by]

    rows = CaseRollup.objects.filter(region_id__in=f.regions)
    if f.start is not None and f.end is not None:
        rows = rows.filter(_period_q(f.start, f.end)) if by != "day" else rows.filter(grain=DAY, period__gte=f.start, period__lt=f.end)
    else:
        rows = rows.filter(grain=MONTH)
    if f.boards is not None:
        rows = rows.filter(board__in=f.boards)
    sums = {name: Sum(name) for name in COUNTS}
    totals = {(row.pop("key") if group else None): row for row in _grouped(rows, group, sums)}

    opened = _open_counts(f, by=by, as_of=as_of, today=today)
    result = {}
    for key in set(totals) | set(opened):
        count = {name: totals.get(key, {}).get(name) or 0 for name in COUNTS}
        live = {name: opened.get(key, {}).get(name) or 0 for name in ("open", "overdue", "flagged_overdue")}
        result[key] = Indicators(
            cases=count["cases"], voided=count["voided"], closed=count["closed"], closed_on_time=count["closed_on_time"],
            closed_late=count["closed_late"], closed_undated=count["closed_undated"], open=live["open"],
            open_overdue=live["overdue"], handled=count["handled"], reworked=count["reworked"], extended=count["extended"],
            overdue=count["settled_overdue"] + live["overdue"] - live["flagged_overdue"], rated=count["rated"],
            satisfied=count["satisfied"], basic=count["basic"],
        )  # fmt: skip
    if by is None:
        result.setdefault(None, Indicators())
    return result


def open_now(f: Filter, *, by: str | None = None, as_of: datetime | None = None) -> dict:
    """{group key: (open, overdue)} for the cases open now (reported within f's period if it has one)."""
    if by not in GROUPS:
        raise ValueError(f"group by {by!r}: choose one of {', '.join(k for k in GROUPS if k)}")
    as_of = as_of or timezone.now()
    found = _open_counts(f, by=by, as_of=as_of, today=timezone.localdate(as_of))
    return {key: (row["open"] or 0, row["overdue"] or 0) for key, row in found.items()}


def _open_counts(f: Filter, *, by: str | None, as_of: datetime, today: date) -> dict:
    open_rows = OpenCaseRollup.objects.filter(region_id__in=f.regions)
    if f.start is not None and f.end is not None:
        open_rows = open_rows.filter(reported_on__gte=f.start, reported_on__lt=f.end)
    if f.boards is not None:
        open_rows = open_rows.filter(board__in=f.boards)
    group = "reported_on" if by == "day" else GROUPS[by]
    opened = {(row.pop("key") if group else None): row for row in _grouped(open_rows, group, {
        "open": Sum("open_cases"),
        "overdue": Sum("open_cases", filter=Q(due_on__lt=today)),
        "flagged_overdue": Sum("flagged", filter=Q(due_on__lt=today)),
    })}
    for key, overdue, flagged in _due_earlier_today(f, by=by, as_of=as_of, today=today):
        row = opened.setdefault(key, {"open": 0, "overdue": 0, "flagged_overdue": 0})
        row["overdue"] = (row["overdue"] or 0) + overdue
        row["flagged_overdue"] = (row["flagged_overdue"] or 0) + flagged
    if by is None and opened.get(None, {}).get("open") is None:
        opened.pop(None, None)
    return opened


def _grouped(rows, group: str | None, aggregates: dict) -> list[dict]:
    rows = rows.order_by()
    if group is None:
        return [rows.aggregate(**aggregates)]
    return list(rows.values(key=F(group)).annotate(**aggregates))


def _due_earlier_today(f: Filter, *, by: str | None, as_of: datetime, today: date) -> list[tuple]:
    """(group key, overdue, flagged) for open cases whose deadline fell today before `as_of`: the
    one slice of "overdue now" the day-grained open rows cannot tell. The database is asked only by
    the `close_due_at` index (a few cases city-wide); places, boards and report days are matched
    here, so no plan can wander off into a year of `reported_at`."""
    from yiwang.regions.models import Region

    day_start = _day_start(today)
    if as_of <= day_start:
        return []
    due = list(Case.objects.filter(close_due_at__gte=day_start, close_due_at__lt=as_of, status__in=sorted(OPEN_STATUSES))
               .order_by().values_list("region_id", "micro_grid_id", "board", "handling_department_id", "reported_at",
                                       "ever_overdue", "paused_at", "close_due_at"))
    if not due:
        return []
    wanted = dict(Region.objects.filter(pk__in=f.regions).values_list("pk", "path"))
    grids = dict(Region.objects.filter(pk__in={row[0] for row in due}).values_list("pk", "path"))
    lo, hi = (_day_start(f.start), _day_start(f.end)) if f.start is not None and f.end is not None else (None, None)
    found = defaultdict(lambda: [0, 0])
    for region_id, micro, board, department, reported_at, ever, paused_at, close_due_at in due:
        if paused_at is not None and close_due_at > paused_at:
            continue  # paused before its deadline: not running towards it
        if f.boards is not None and board not in f.boards or lo is not None and not lo <= reported_at < hi:
            continue
        path = grids.get(region_id, "")
        for pk, prefix in wanted.items():
            if path.startswith(prefix) or micro == pk:
                key = {"region": pk, "board": board, "department": department or 0, "day": timezone.localdate(reported_at), None: None}[by]
                found[key][0] += 1
                found[key][1] += int(ever)
    return [(key, n, flagged) for key, (n, flagged) in found.items()]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))

