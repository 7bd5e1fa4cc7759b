"""Case rollups: the counts the command center asks for, kept up to date as cases change, so that
its screen never scans the case table.

Two tables (models in `models.py`):
- `CaseRollup`: per region, period (a day and, again, its month and its year), board and handling
  department, the counts of the cases *reported* in that period that `indicators.Indicators` is
  made of (cases, closed, closed on time, late, rated, satisfied, ...). A case is counted under
  every ancestor of its grid, the grid itself and its micro-grid, so a region's numbers are the rows
  of that one region, never a sum over its subtree. Every region has rows for all departments
  (`ALL_DEPARTMENTS`), per board and again for all boards (`ALL_BOARDS`); streets and above also
  per department and board.
- `OpenCaseRollup`: the cases open now, per region, board, department, day reported and day due
  (`close_due_at`'s date; `NO_DUE` when there is no deadline or the clock was paused before it),
  with the same department and board keys.
  "Overdue now" is the rows due before today plus the few open cases due earlier today (read from
  the case table by its `close_due_at` index).

Every save of a Case (`Case.save`) applies the difference between what the case added before
and what it adds now, in the same transaction, as one INSERT ... ON CONFLICT DO UPDATE that adds
to the counters (both databases take the same statement; concurrent writers add, never overwrite).
Bulk writers that bypass `save` (the historic import, the demo history) call `add_cases` or
`rebuild`; a region moved under another parent runs `region_moved` (on regions' `region_moved`
signal, connected in CasesConfig.ready).

The reads at the bottom turn the rows back into `Indicators`, so the formulas stay those of
`indicators.py` (tested to agree with it case for case).
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from yiwang.core.sql import fetch
from yiwang.matters.models import Board

from .indicators import NO_CASES, Indicators, from_counts
from .models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    VOID_STATUSES,
    Case,
    CaseRollup,
    OpenCaseRollup,
    Rating,
    RollupDelta,
)

NO_DUE = date(9999, 12, 31)
DAY, MONTH, YEAR = "d", "m", "y"
# department_key of the rows that count every case whatever its department: the screen's reads
# take these. Rows per department are kept only for the levels below (a department's work is
# ranked across a street or more); under a street, ranking departments reads the case rows.
ALL_DEPARTMENTS = -1
DEPARTMENT_LEVELS = frozenset({"province", "city", "district", "street"})
# board of the all-department rows that count every board: a read not split by board meets one
# row per region and period instead of one per board.
ALL_BOARDS = ""

# CaseRollup's counters, in this order everywhere below.
COUNTS = ("cases", "voided", "closed", "closed_on_time", "closed_late", "closed_undated", "handled", "reworked",
          "extended", "settled_overdue", "rated", "satisfied", "basic")  # fmt: skip
OPEN_COUNTS = ("open_cases", "flagged")
# The rows' keys, in the order of their unique indexes (models.py): region and department first,
# so a read of one region's all-department rows is one index range.
COUNT_KEY = ("region_id", "department_key", "grain", "period", "board")
OPEN_KEY = ("region_id", "department_key", "reported_on", "due_on", "board")

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


def year_of(day: date) -> date:
    return day.replace(month=1, day=1)


class Deltas:
    """Differences to add to both tables, netted per row key before anything is written."""

    def __init__(self) -> None:
        self.counts: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(COUNTS))
        self.open: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, regions: Iterable[tuple[int, bool]], part: Contribution, sign: int) -> None:
        """`regions`: (region id, whether its rows are kept per department too) pairs."""
        opened = part.due_on is not None
        self.add_signed(regions, part.board, part.department_key, part.reported_on, [sign * n for n in part.counts],
                        part.due_on, sign * int(opened), sign * part.flagged)

    def add_signed(self, regions: Iterable[tuple[int, bool]], board: str, department_key: int, reported_on: date,
                   counts: Iterable[int], due_on: date | None, open_cases: int, flagged: int) -> None:
        """Counters already signed (a RollupDelta row's), under the rows of each region."""
        counts = list(counts)
        periods = ((DAY, reported_on), (MONTH, month_of(reported_on)), (YEAR, year_of(reported_on)))
        for region, detailed in regions:
            keys = [(ALL_DEPARTMENTS, board), (ALL_DEPARTMENTS, ALL_BOARDS)]
            if detailed:
                keys.append((department_key, board))
            for department, key_board in keys:
                for grain, period in periods:
                    row = self.counts[(region, department, grain, period, key_board)]
                    for i, n in enumerate(counts):
                        row[i] += n
                if due_on is not None:
                    row = self.open[(region, department, reported_on, due_on, key_board)]
                    row[0] += open_cases
                    row[1] += flagged

    def write(self) -> None:
        # Sorted: concurrent writers then lock shared rows in the same order and cannot deadlock.
        counts = sorted((*key, *row) for key, row in self.counts.items() if any(row))
        opened = sorted((*key, *row) for key, row in self.open.items() if any(row))
        _upsert(CaseRollup, COUNT_KEY, COUNTS, counts)
        _upsert(OpenCaseRollup, OPEN_KEY, OPEN_COUNTS, opened)
        if opened:
            # Closed cases leave zero rows behind; drop them so "open now" reads only live rows.
            OpenCaseRollup.objects.filter(open_cases=0, region_id__in={r[0] for r in opened},
                                          reported_on__in={r[2] for r in opened}).delete()


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


def keeps_departments(level: str) -> bool:
    """Whether a region of this level has rollup rows per department (besides all departments)."""
    return level in DEPARTMENT_LEVELS


class RegionChains:
    """region id → (id, kept per department) of it and its ancestors (root first), from one read of the tree."""

    def __init__(self, region_ids: Iterable[int] | None = None) -> None:
        from yiwang.regions.models import Region, ancestor_paths

        rows = Region.objects.filter(pk__in=set(region_ids)) if region_ids is not None else Region.objects.all()
        own = dict(rows.values_list("pk", "path"))
        paths = {p for path in own.values() for p in ancestor_paths(path)}
        ids = {path: (pk, keeps_departments(level)) for path, pk, level in Region.objects.filter(path__in=paths).values_list("path", "pk", "level")}
        self.chains = {pk: tuple(ids[p] for p in ancestor_paths(path) if p in ids) for pk, path in own.items()}

    def of(self, region_id: int, micro_grid_id: int | None) -> tuple[tuple[int, bool], ...]:
        chain = self.chains.get(region_id, ())
        return chain + ((micro_grid_id, False),) if micro_grid_id and all(micro_grid_id != pk for pk, _ in chain) else chain


def case_saved(case: Case, before: tuple | None, after: tuple) -> None:
    """Called by Case.save inside its transaction: record the move of the case's counts from
    `before` (None for a new case) to `after` (both snapshots) as RollupDelta rows, for the worker
    to fold (`fold`). One INSERT of at most two rows, touching no counter row that other writers share."""
    if before == after:
        return
    _append_deltas(([] if before is None else [_delta_row(before, -1)]) + [_delta_row(after, +1)])


def case_deleted(sender, instance: Case, **kwargs) -> None:
    """post_delete of a Case (connected in apps.py): its counts leave the rollups. A QuerySet.delete()
    sends this per row; set-based raw deletes (the demo's) clear the rows themselves."""
    before = getattr(instance, "_rollup_before", None)
    if before is None:
        if not all(name in instance.__dict__ for name in FIELDS):
            return  # nothing known to subtract; `yiwang rollups --rebuild` recounts
        before = snapshot(instance)
    _append_deltas([_delta_row(before, -1)])


# RollupDelta's columns after its id, in this order everywhere below.
DELTA_COLUMNS = ("grid_id", "micro_grid_id", "board", "department_key", "reported_on", "due_on", *COUNTS, *OPEN_COUNTS)
_DELTA_KEY = 6  # the first six columns say which rows a delta goes to; the rest are counters


def _delta_row(values: tuple, sign: int) -> tuple:
    """A snapshot's contribution as a RollupDelta row, every counter times `sign`."""
    part = contribution(values)
    return (values[1], values[2], part.board, part.department_key, part.reported_on, part.due_on,
            *(sign * n for n in part.counts), sign * int(part.due_on is not None), sign * part.flagged)


def _append_deltas(rows: list[tuple]) -> None:
    if len(rows) == 2 and rows[0][:_DELTA_KEY] == rows[1][:_DELTA_KEY]:
        # The same rows before and after (e.g. a handling step that moves no counter's key): one net row.
        net = tuple(a + b for a, b in zip(rows[0][_DELTA_KEY:], rows[1][_DELTA_KEY:], strict=True))
        rows = [rows[1][:_DELTA_KEY] + net] if any(net) else []
    if not rows:
        return
    adapt = connection.ops.adapt_datefield_value
    per_row = "(" + ", ".join(["%s"] * len(DELTA_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table(RollupDelta)} ({', '.join(DELTA_COLUMNS)}) VALUES {', '.join([per_row] * len(rows))}",
                       [adapt(v) if isinstance(v, date) else v for row in rows for v in row])


def fold(*, limit: int = 5_000, through: int | None = None) -> int:
    """Fold up to `limit` delta rows, oldest first, into CaseRollup and OpenCaseRollup, and delete
    them, in one transaction: a crash folds all of them or none. Concurrent folders take disjoint
    rows on PostgreSQL (SKIP LOCKED); SQLite has one writer at a time. Returns the rows folded."""
    with transaction.atomic():
        lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
        upto = "" if through is None else f" WHERE id <= {int(through)}"
        rows = fetch(f"SELECT id, {', '.join(DELTA_COLUMNS)} FROM {_table(RollupDelta)}{upto} ORDER BY id LIMIT {int(limit)}{lock}", [],
                     prepare=False)
        if not rows:
            return 0
        chains = RegionChains({row[1] for row in rows})
        deltas = Deltas()
        for _pk, grid, micro, board, department, reported_on, due_on, *counters in rows:
            deltas.add_signed(chains.of(grid, micro), board, department, _as_date(reported_on), counters[:len(COUNTS)],
                              _as_date(due_on), *counters[len(COUNTS):])
        deltas.write()
        ids = [row[0] for row in rows]
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 1000):
                chunk = ids[start:start + 1000]
                cursor.execute(f"DELETE FROM {_table(RollupDelta)} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
    return len(rows)


def fold_all() -> int:
    """Fold every delta row there is now (the worker, the sweep, tests); rows appended meanwhile
    wait for the next call, so a steady stream of intakes cannot keep it going."""
    top = fetch(f"SELECT MAX(id) FROM {_table(RollupDelta)}", [], prepare=False)[0][0]
    done = 0
    while top is not None and (folded := fold(through=top)):
        done += folded
    return done


def _as_date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def add_cases(case_ids: Iterable[int], *, chunk: int = 20_000) -> int:
    """Count cases written without `save` (bulk inserts) into the rollups; returns how many."""
    case_ids = list(case_ids)
    done = 0
    for start in range(0, len(case_ids), chunk):
        rows = list(Case.objects.filter(pk__in=case_ids[start:start + chunk]).order_by().values_list(*FIELDS))
        done += _add_rows(rows)
    return done


def _add_rows(rows: list[tuple]) -> int:
    return add_snapshots(rows)


def add_snapshots(snapshots: Iterable[tuple]) -> int:
    """Count cases written without `save` into the rollups from their snapshots (FIELDS' values, as
    the database will hold them), with no read of the cases back: a bulk writer has them in hand.
    Returns how many were counted."""
    deltas, counted = count_snapshots(snapshots)
    write_counted(deltas)
    return counted


def count_snapshots(snapshots: Iterable[tuple], *, chains: RegionChains | None = None) -> tuple[Deltas, int]:
    """What the snapshots add, not yet written (`write_counted`), and how many they are; with
    `chains` covering their grids, no query (a bulk writer counts while its rows are written).
    Cases that add the same thing under the same grid are counted together (k cases, one `add`
    with sign k), so the work grows with the distinct contributions, not with the cases."""
    together: Counter = Counter()
    for values in snapshots:
        together[(values[1], values[2], contribution(values))] += 1
    if chains is None:
        chains = RegionChains({region for region, _micro, _part in together})
    deltas = Deltas()
    for (region, micro, part), k in together.items():
        deltas.add(chains.of(region, micro), part, k)
    return deltas, sum(together.values())


def write_counted(deltas: Deltas) -> None:
    """Deltas.write for many rows at once. PostgreSQL: the rows go to a temporary table by COPY and
    are added by one INSERT ... SELECT ... ON CONFLICT DO UPDATE per table (a VALUES list of 10⁴
    rows cost more to bind than to apply); SQLite takes Deltas.write as it is."""
    if connection.vendor != "postgresql":
        deltas.write()
        return
    counts = sorted((*key, *row) for key, row in deltas.counts.items() if any(row))
    opened = sorted((*key, *row) for key, row in deltas.open.items() if any(row))
    _copy_upsert(CaseRollup, COUNT_KEY, COUNTS, counts)
    _copy_upsert(OpenCaseRollup, OPEN_KEY, OPEN_COUNTS, opened)
    if opened:
        OpenCaseRollup.objects.filter(open_cases=0, region_id__in={r[0] for r in opened},
                                      reported_on__in={r[2] for r in opened}).delete()


def _copy_upsert(model, keys: tuple[str, ...], counters: tuple[str, ...], rows: list[tuple]) -> None:
    """What _upsert does, on PostgreSQL, for many rows: COPY into a temporary table dropped at
    commit, then one upsert from it, in key order (the order concurrent writers lock rows in)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [model._meta.get_field(name.removesuffix("_id")).column if name.endswith("_id") else name for name in (*keys, *counters)]
    names = ", ".join(map(quote, columns))
    staging = quote(f"{model._meta.db_table}_incoming")
    update = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in counters)
    with connection.wrap_database_errors, connection.cursor() as cursor:
        # Dropped at commit, so a pooled server connection (PgBouncer) never carries it over.
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ORDER BY {', '.join(map(quote, columns[:len(keys)]))} "
                       f"ON CONFLICT ({', '.join(map(quote, columns[:len(keys)]))}) DO UPDATE SET {update}")


def rebuild(*, chunk: int = 50_000) -> int:
    """Recount every case from scratch (after bulk deletes, region moves or a restore); returns
    the number of cases counted. One transaction: readers see the old or the new counts."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait at their next upsert until the recount commits, then add their change to
            # it; without the lock a change committed mid-recount would be counted twice.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {CaseRollup._meta.db_table}, {OpenCaseRollup._meta.db_table}, "
                               f"{RollupDelta._meta.db_table} IN EXCLUSIVE MODE")
        # The recount counts every case as it is now, so changes not yet folded are in it already.
        RollupDelta.objects.all().delete()
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

    def above(path: str) -> set[tuple[int, bool]]:
        rows = Region.objects.filter(path__in=ancestor_paths(path)[:-1]).values_list("pk", "level")
        return {(pk, keeps_departments(level)) for pk, level in rows}

    above_old, above_new = above(old_path), above(region.path)
    left, joined = sorted(above_old - above_new), sorted(above_new - above_old)
    if not left and not joined:
        return  # a new code under the same parent
    _keep_unfolded_where_they_are(region, left, joined)
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


def _keep_unfolded_where_they_are(region, left: list, joined: list) -> None:
    """The move below shifts each case's whole count; the part of it still in delta rows is not in
    the old ancestors' rows yet, and will be folded under the new ancestors. So that part is given
    back to the old ones and taken from the new ones now. No fold may run meanwhile: on PostgreSQL
    the table is locked (a region's move is rare); SQLite has one writer at a time."""
    from yiwang.regions.models import Region

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {RollupDelta._meta.db_table} IN EXCLUSIVE MODE")
    grids = Region.objects.filter(path__startswith=region.path).values_list("pk", flat=True)
    deltas = Deltas()
    for grid, micro, board, department, reported_on, due_on, *counters in RollupDelta.objects.filter(grid_id__in=grids).values_list(*DELTA_COLUMNS):
        for regions, sign in ((left, 1), (joined, -1)):
            deltas.add_signed(regions, board, department, reported_on, [sign * n for n in counters[:len(COUNTS)]], due_on,
                              *(sign * n for n in counters[len(COUNTS):]))
    deltas.write()


# Reads ---------------------------------------------------------------------------------------------
#
# Each read is one SQL statement over the rollup rows (plus, for "overdue now", one over the open
# cases due earlier today), written out here rather than through the ORM: the screen asks several
# per view, and compiling ORM queries took longer than the database took to answer them. Dates,
# grains and region ids are written into the text from date objects, constants and integers (`_day`,
# `Filter.region_list`) and board codes; chosen boards are parameters.


class Piece(NamedTuple):
    """Rollup rows of one grain whose period lies in [start, end), added (sign 1) or taken off (-1)."""

    grain: str
    start: date
    end: date
    sign: int


def _cells(grain: str, a: date, b: date) -> list[tuple[date, date]]:
    """The days, months or years overlapping [a, b), each as [first day, first day of the next)."""
    cells, cursor = [], a if grain == DAY else month_of(a) if grain == MONTH else year_of(a)
    while cursor < b:
        following = cursor + timedelta(days=1) if grain == DAY else _next_month(cursor) if grain == MONTH else date(cursor.year + 1, 1, 1)
        cells.append((cursor, following))
        cursor = following
    return cells


FINER = {YEAR: MONTH, MONTH: DAY}


def _cost(pieces: list[Piece], today: date) -> int:
    """Rows a read of the pieces can meet: a day range counts its days up to today (no case is
    reported later), a month or year row counts once unless it starts after today."""
    return sum(max(0, (min(p.end, today + timedelta(days=1)) - p.start).days) if p.grain == DAY else int(p.start <= today)
               for p in pieces)


def _cover(a: date, b: date, grain: str, sign: int, today: date) -> list[Piece]:
    pieces: list[Piece] = []
    for first, following in _cells(grain, a, b):
        x, y = max(a, first), min(b, following)
        if (x, y) == (first, following):
            pieces.append(Piece(grain, first, following, sign))
            continue
        finer = FINER[grain]
        direct = _cover(x, y, finer, sign, today)
        # The whole cell less its parts outside [a, b); days after today cost nothing to take off.
        rest = [Piece(grain, first, following, sign)] + [p for lo, hi in ((first, x), (y, following)) if lo < hi
                                                         for p in _cover(lo, hi, finer, -sign, today)]
        pieces += rest if _cost(rest, today) < _cost(direct, today) else direct
    return pieces


@functools.lru_cache(maxsize=256)
def period_pieces(start: date, end: date, *, today: date) -> tuple[Piece, ...]:
    """[start, end) of report days in the fewest rows: years, months and days, a partly covered
    year or month read either as its parts or as the whole less what lies outside the period,
    whichever meets fewer rows. Consecutive pieces of one grain and sign are merged."""
    merged: list[Piece] = []
    for piece in sorted(_cover(start, end, YEAR, 1, today) if start < end else [], key=lambda p: (p.grain, p.sign, p.start)):
        last = merged[-1] if merged else None
        if last and (last.grain, last.sign, last.end) == (piece.grain, piece.sign, piece.start):
            merged[-1] = last._replace(end=piece.end)
        else:
            merged.append(piece)
    return tuple(merged)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


GROUPS = {"region": "region_id", "board": "board", "department": "department_key", "day": "period", None: None}


@dataclass(frozen=True)
class Filter:
    """Which rows: regions (ids; each row counted under its own region id), an optional period of
    report dates [start, end), boards (None: all)."""

    regions: tuple[int, ...]
    start: date | None = None
    end: date | None = None
    boards: tuple[str, ...] | None = None

    @functools.cached_property
    def region_list(self) -> str:
        """The region ids as SQL integers, written into each piece's statement (a street's map asks
        for a hundred grids in each of several pieces; binding them cost more than reading)."""
        return ", ".join(str(int(pk)) for pk in self.regions)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _day(value: date) -> str:
    return f"'{value.isoformat()}'"  # a date object's own digits: safe to write into the statement


def _moment(value: datetime) -> str:
    """A timestamp written into a statement as the database stores it (made from a datetime object,
    so only digits and separators), keeping the statement's text the same all day."""
    adapted = connection.ops.adapt_datetimefield_value(value)
    return f"'{adapted.isoformat() if isinstance(adapted, datetime) else adapted}'"


def _range(grain: str, a: date, b: date) -> str:
    return f"grain = '{grain}' AND period >= {_day(a)} AND period < {_day(b)}"


def _where(f: Filter, params: list, *, by: str | None) -> str:
    """The rows of f's regions and boards that answer a read grouped `by`: per-department rows (each
    board's) for departments, else the all-department rows, of each board when boards are chosen or
    counted apart, else the all-board ones."""
    clauses = [f"region_id IN ({f.region_list})"]
    clauses.append("department_key >= 0" if by == "department" else f"department_key = {ALL_DEPARTMENTS}")
    if f.boards is not None:
        params.extend(f.boards)
        clauses.append(f"board IN ({', '.join(['%s'] * len(f.boards))})")
    elif by == "board":
        # Each board named (their codes are constants), so that each is one range of the read index.
        clauses.append(f"board IN ({', '.join(repr(str(code)) for code in Board.values)})")
    elif by != "department":
        clauses.append(f"board = '{ALL_BOARDS}'")
    return " AND ".join(clauses)


def _validate(f: Filter, by: str | None) -> None:
    if by not in GROUPS:
        raise ValueError(f"group by {by!r}: choose one of {', '.join(k for k in GROUPS if k)}")
    if (f.start is None) != (f.end is None):
        raise ValueError("a period needs both its start and its end")
    if by == "day" and f.start is None:
        raise ValueError("a day-by-day count needs a period")
    if f.boards is not None and ALL_BOARDS in f.boards:
        raise ValueError("choose boards by their codes, or none for all boards")


def _count_rows(f: Filter, *, by: str | None, today: date, also_today: bool = False, counters: tuple[str, ...] = COUNTS) -> dict:
    """{group key: [counters..., reported today]} from CaseRollup over the filter, plus the delta
    rows not yet folded, in the same statement (so a fold committing meanwhile is seen whole or not
    at all). One SELECT per piece of the period, so that each is one index range, summed with its sign."""
    if not f.regions:
        return {}
    pieces: list[tuple[str, int]] = []  # (condition on grain and period, sign)
    spans: list[tuple[date | None, date | None, int]] = []  # the same pieces as report days [start, end), and sign
    if f.start is None:
        pieces.append((f"grain = '{YEAR}'", 1))
        spans.append((None, None, 1))
    elif by == "day":
        pieces.append((_range(DAY, f.start, f.end), 1))
        spans.append((f.start, f.end, 1))
    else:
        chosen = period_pieces(f.start, f.end, today=today)
        if any(p.start > today for p in chosen) and not _reported_after(today):
            chosen = [p for p in chosen if p.start <= today]  # nothing to take off: skip their index probes
        pieces += [(_range(p.grain, p.start, p.end), p.sign) for p in chosen]
        spans += [(p.start, p.end, p.sign) for p in chosen]
    if also_today:
        pieces.append((f"grain = '{DAY}' AND period = {_day(today)}", 0))  # read for its own column only
        spans.append((today, today + timedelta(days=1), 0))
    if not pieces:
        return {}
    where_params: list = []
    where = _where(f, where_params, by=by)
    key = GROUPS[by] or "0"
    selects = []
    for condition, sign in pieces:
        today_cases = "cases" if sign == 0 else "0"
        selects.append(f"SELECT {key} AS k, {', '.join(counters)}, {sign} AS s, {today_cases} AS t "
                       f"FROM {_table(CaseRollup)} WHERE {where} AND {condition}")
    sums = ", ".join(f"SUM({name} * s)" for name in counters)
    width = len(counters) + int(also_today)
    delta_params: list = []
    sql = (f"SELECT 0, k, {sums}{', SUM(t)' if also_today else ''}, {_NULLS} FROM ({' UNION ALL '.join(selects)}) pieces GROUP BY k "
           f"UNION ALL SELECT 1, NULL, {', '.join(counters)}{', 0' if also_today else ''}, {_DELTA_WHERE_TO} "
           f"FROM {_table(RollupDelta)} WHERE {_delta_where(f, spans, delta_params)}")
    rows = fetch(sql, where_params * len(selects) + delta_params)
    found = {key_value: list(values) for key_value, values in _keyed([row[1:2 + width] for row in rows if row[0] == 0], by).items()}
    deltas = [row for row in rows if row[0] == 1]
    chains, wanted = _chains_for(row[2 + width] for row in deltas), set(f.regions)
    for row in deltas:
        values, (grid, micro, board, department, reported_on) = row[2:2 + len(counters)], row[2 + width:]
        reported_on = _as_date(reported_on)
        for group in _delta_groups(f, by, _asked_regions(wanted, chains, grid, micro), board, department, reported_on):
            sums_of = found.setdefault(group, [0] * width)
            for start, end, sign in spans:
                if (start is None or start <= reported_on) and (end is None or reported_on < end):
                    if sign == 0:
                        sums_of[-1] += values[counters.index("cases")]  # the cases reported today
                    else:
                        for i, n in enumerate(values):
                            sums_of[i] += sign * n
    return found


# The delta rows' columns a read matches in Python, and the first branch's blanks for them.
_DELTA_WHERE_TO = "grid_id, micro_grid_id, board, department_key, reported_on"
_NULLS = "NULL, NULL, NULL, NULL, NULL"


def _delta_where(f: Filter, spans: list, params: list) -> str:
    """A coarse bound on the delta rows a read can use (the exact match is `_delta_groups`'s)."""
    clauses = ["1 = 1"]
    starts = [a for a, _b, _s in spans]
    ends = [b for _a, b, _s in spans]
    if starts and None not in starts:
        clauses.append(f"reported_on >= {_day(min(starts))}")
    if ends and None not in ends:
        clauses.append(f"reported_on < {_day(max(ends))}")
    if f.boards is not None:
        params.extend(f.boards)
        clauses.append(f"board IN ({', '.join(['%s'] * len(f.boards))})")
    return " AND ".join(clauses)


def _chains_for(grids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """`region_chains`, read again when one of `grids` was made in another process within the last second."""
    from yiwang.regions.lookup import region_chains

    chains = region_chains()
    return chains if all(grid in chains for grid in grids) else region_chains(fresh=True)


def _asked_regions(wanted: set[int], chains: dict, grid: int, micro: int | None) -> set[int]:
    """The regions asked that a case of `grid` and `micro` is counted under, as its rollup rows are:
    its grid's chain of ancestors and its micro-grid."""
    regions = wanted.intersection(chains.get(grid, ()))
    if micro is not None and micro in wanted:
        regions.add(micro)
    return regions


def _delta_groups(f: Filter, by: str | None, regions: set[int], board: str, department: int, reported_on: date) -> list:
    """The group keys an unfolded delta adds to, once per region asked that it is counted under."""
    if f.boards is not None and board not in f.boards or by == "board" and board not in Board.values:
        return []
    if by == "region":
        return sorted(regions)
    key = {"board": board, "department": department, "day": reported_on, None: None}[by]
    return [key] * len(regions)


def _reported_after(day: date) -> bool:
    """Whether any case was reported after `day` (only when reading as of a past day): one probe of
    the report-time index."""
    return bool(fetch(f"SELECT 1 FROM {_table(Case)} WHERE reported_at >= {_moment(day_start(day + timedelta(days=1)))} LIMIT 1", []))


def _keyed(rows: list[tuple], by: str | None) -> dict:
    """{group key: the row's sums} from rows (key, sums...). The sums are integers on both databases
    (SUM of integer columns; a group has at least one row, so none is NULL)."""
    if by is None:
        return {None: row[1:] for row in rows}
    if by == "day":  # SQLite gives dates as text
        return {date.fromisoformat(row[0]) if isinstance(row[0], str) else row[0]: row[1:] for row in rows}
    return {row[0]: row[1:] for row in rows}


def _open_rows(f: Filter, *, by: str | None, today: date, as_of: datetime, period_and_any: bool = False) -> dict:
    """{group key: [open, overdue, flagged overdue]} of the cases open now (reported in f's period
    if it has one); with `period_and_any`, [in period: three, whatever the report day: three]."""
    if not f.regions:
        return {}
    params: list = []
    where = _where(f, params, by=by)
    key = {"day": "reported_on"}.get(by, GROUPS[by]) or "0"
    overdue = f"due_on < {_day(today)}"

    def three(cond: str) -> str:
        return (f"SUM(CASE WHEN {cond} THEN open_cases ELSE 0 END), SUM(CASE WHEN {cond} AND {overdue} THEN open_cases ELSE 0 END), "
                f"SUM(CASE WHEN {cond} AND {overdue} THEN flagged ELSE 0 END)")

    in_period = f"reported_on >= {_day(f.start)} AND reported_on < {_day(f.end)}" if f.start is not None else "1 = 1"
    if period_and_any:
        columns = f"{three(in_period)}, {three('1 = 1')}"
    else:
        columns = three("1 = 1")
        if f.start is not None:
            where += f" AND {in_period}"
    width = 6 if period_and_any else 3
    # The delta rows not yet folded come in the same statement (see _count_rows).
    delta_params = list(f.boards or ())
    boards = f" AND board IN ({', '.join(['%s'] * len(f.boards))})" if f.boards is not None else ""
    sql = (f"SELECT 0, {key} AS k, {columns}, {_NULLS}, NULL, NULL, NULL FROM {_table(OpenCaseRollup)} WHERE {where} GROUP BY k "
           f"UNION ALL SELECT 1, NULL, {', '.join(['NULL'] * width)}, {_DELTA_WHERE_TO}, due_on, open_cases, flagged "
           f"FROM {_table(RollupDelta)} WHERE due_on IS NOT NULL{boards}")
    rows = fetch(sql, params + delta_params)
    found = {key: list(values) for key, values in _keyed([row[1:2 + width] for row in rows if row[0] == 0], by).items()}
    deltas = [row for row in rows if row[0] == 1]
    chains, wanted = _chains_for(row[2 + width] for row in deltas), set(f.regions)
    for row in deltas:
        grid, micro, board, department, reported_on, due_on, open_cases, flagged = row[2 + width:]
        reported_on = _as_date(reported_on)
        overdue = _as_date(due_on) < today
        in_period = f.start is None or f.start <= reported_on < f.end
        for group in _delta_groups(f, by, _asked_regions(wanted, chains, grid, micro), board, department, reported_on):
            for offset, counted_here in ((0, in_period), (3, True)) if period_and_any else ((0, in_period),):
                if counted_here:
                    sums_of = found.setdefault(group, [0] * width)
                    sums_of[offset] += open_cases
                    if overdue:
                        sums_of[offset + 1] += open_cases
                        sums_of[offset + 2] += flagged
    for key_value, in_period_due, any_due in _due_earlier_today(f, by=by, as_of=as_of, today=today):
        row = found.setdefault(key_value, [0] * (6 if period_and_any else 3))
        for offset, (n, flagged) in ((0, in_period_due), (3, any_due)) if period_and_any else ((0, in_period_due),):
            row[offset + 1] += n
            row[offset + 2] += flagged
    return found


def _indicators(count: tuple | None, live: list[int] | None, counters: tuple[str, ...] = COUNTS) -> Indicators:
    values = dict(zip(counters, count or _NO_COUNTS))  # a count row may end with "reported today": zip drops it
    if counters is not COUNTS:
        # Only some counters were read: the others are None, so a formula that needs one fails loudly.
        values = dict.fromkeys(COUNTS) | values
    settled = values.pop("settled_overdue")
    opened, overdue, flagged = (live or _NO_COUNTS)[:3]
    return from_counts({**values, "open": opened, "open_overdue": overdue,
                        "overdue": None if settled is None else settled + overdue - flagged})


_NO_COUNTS = (0,) * len(COUNTS)


def counted(f: Filter, *, by: str | None = None, as_of: datetime | None = None, counters: tuple[str, ...] = COUNTS) -> dict:
    """{group key: Indicators} over the filter (one key, None, when by is None): one read of the
    counters, one of the open rows, and one of the open cases due earlier today. `counters`, some of
    COUNTS, reads only those (each costs a map of a hundred grids about a tenth of a millisecond);
    the others come back None."""
    _validate(f, by)
    unknown = set(counters) - set(COUNTS)
    if unknown:
        raise ValueError(f"no counter {sorted(unknown)[0]!r}: choose from {', '.join(COUNTS)}")
    counters = COUNTS if set(counters) == set(COUNTS) else tuple(counters)
    if by == "department":
        from yiwang.regions.models import Region

        shallow = Region.objects.filter(pk__in=f.regions).exclude(level__in=DEPARTMENT_LEVELS).values_list("name", flat=True)[:1]
        if shallow:
            raise ValueError(f"departments are counted per street and above, not under {shallow[0]}: count its cases instead")
    as_of = as_of or timezone.now()
    today = timezone.localdate(as_of)
    totals = _count_rows(f, by=by, today=today, counters=counters)
    opened = _open_rows(f, by=by, today=today, as_of=as_of)
    result = {key: _indicators(totals.get(key), opened.get(key), counters) for key in set(totals) | set(opened)}
    if by is None and None not in result:
        result[None] = NO_CASES if counters is COUNTS else _indicators(None, None, counters)
    return result


def open_now(f: Filter, *, by: str | None = None, as_of: datetime | None = None) -> dict:
    """{group key: (open, overdue)} for the cases open now (reported within f's period if it has one)."""
    _validate(f, by)
    as_of = as_of or timezone.now()
    found = _open_rows(f, by=by, today=timezone.localdate(as_of), as_of=as_of)
    return {key: (row[0], row[1]) for key, row in found.items()}


@dataclass(frozen=True)
class Tiles:
    """The KPI tiles' numbers per board: the period's indicators, today's reports, open and overdue now."""

    in_period: dict
    reported_today: dict
    now: dict


def tiles(f: Filter, *, as_of: datetime | None = None) -> Tiles:
    """Per board, in three reads: the period's Indicators, the cases reported today, and (open,
    overdue) now whatever the report day."""
    _validate(f, "board")
    if f.start is None:
        raise ValueError("the tiles need a period")
    as_of = as_of or timezone.now()
    today = timezone.localdate(as_of)
    totals = _count_rows(f, by="board", today=today, also_today=True)
    opened = _open_rows(f, by="board", today=today, as_of=as_of, period_and_any=True)
    in_period = {key: _indicators(totals.get(key), opened.get(key)) for key in set(totals) | set(opened)}
    return Tiles(
        in_period=in_period,
        reported_today={key: row[-1] for key, row in totals.items() if row[-1]},
        now={key: (row[3], row[4]) for key, row in opened.items() if row[3]},
    )


def _due_earlier_today(f: Filter, *, by: str | None, as_of: datetime, today: date) -> list[tuple]:
    """(group key, (overdue, flagged) among those reported in f's period, (overdue, flagged) whatever
    the report day) for open cases whose deadline fell today before `as_of`: the one slice of
    "overdue now" the day-grained open rows cannot tell. These are few city-wide, so all of them are
    read by the partial index of open cases' deadlines and matched to the regions through their
    grids' chains of ancestors, kept per process (in SQL, the match was a join per case)."""
    midnight = day_start(today)
    if as_of <= midnight or not f.regions:
        return []
    adapt = connection.ops.adapt_datetimefield_value
    # Written out, not bound: the partial index applies only to a query that states its condition.
    open_statuses = ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES))
    params: list = [adapt(midnight), adapt(as_of)]
    boards = ""
    if f.boards is not None:
        boards = f" AND board IN ({', '.join(['%s'] * len(f.boards))})"
        params.extend(f.boards)
    key = {"region": "0", "board": "board", "department": "COALESCE(handling_department_id, 0)", "day": "reported_at", None: "0"}[by]
    within = "1"
    if f.start is not None:
        within = "CASE WHEN reported_at >= %s AND reported_at < %s THEN 1 ELSE 0 END"
        params = [adapt(day_start(f.start)), adapt(day_start(f.end)), *params]
    sql = (f"SELECT {key}, {within}, CASE WHEN ever_overdue THEN 1 ELSE 0 END, region_id, micro_grid_id FROM {_table(Case)} "
           f"WHERE status IN ({open_statuses}) AND close_due_at >= %s AND close_due_at < %s "
           f"AND (paused_at IS NULL OR close_due_at <= paused_at){boards}")
    due = fetch(sql, params)
    if not due:
        return []
    chains, wanted = _chains_for(row[3] for row in due), set(f.regions)
    found = defaultdict(lambda: [0, 0, 0, 0])
    for value, in_period, ever, grid, micro_grid in due:
        regions = _asked_regions(wanted, chains, grid, micro_grid)
        if not regions:
            continue
        # Each region asked counts the case, as its rollup rows do.
        value = timezone.localdate(_aware(value)) if by == "day" else None if by is None else value
        for group in regions if by == "region" else [value] * len(regions):
            row = found[group]
            row[2] += 1
            row[3] += ever
            if in_period:
                row[0] += 1
                row[1] += ever
    return [(key, (a, b), (c, d)) for key, (a, b, c, d) in found.items()]


def _aware(value) -> datetime:
    """A timestamp read by a raw statement: SQLite gives text or naive UTC, PostgreSQL aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def day_start(day: date) -> datetime:
    """The local midnight that begins `day` (periods are [start, end) of local dates)."""
    return timezone.make_aware(datetime.combine(day, time.min))
