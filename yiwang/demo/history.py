"""Demo history: millions of past cases over the grids of the demo, written set-based, for the
command center's screen, its forecasts and the dashboard benchmark (bench/dashboard.py).

What the cases look like:
- spread over `years` before now, with a slow growth, a yearly wave (more in summer) and a weekly
  shape (fewer at weekends), mostly in office hours, over grids of uneven weight (hot spots);
- matters from the catalogue (active MatterType rows, their current versions), heavier on a few;
  tier, level and handling region as routing would give them (A grid, B community, C street, C
  with the matter's department kind → that department);
- a deadline per matter from its step limits (working time read roughly as calendar time), closed
  mostly on time, some late; about 70 % of the closed cases rated, mostly satisfied; 3 % rejected;
- the cases whose closing would still lie in the future are open now, at the step their progress
  reaches (so some are overdue, some due today), plus a few long-standing ones on hold (paused);
- channel "import", external_source "demo-history" (`EXTERNAL_SOURCE`), no timeline rows, no
  reporter identity beyond a phone digest drawn from a pool (so repeat callers exist).

How: every column is a numpy array (no model instance, no Python loop per case); DuckDB turns the
arrays into rows (CSV streamed to PostgreSQL's COPY, tuples to SQLite's executemany) and groups
them into the rollups (yiwang.cases.rollups) by the very rule `rollups.contribution` states, so the
rows equal what `rollups.rebuild()` would write (tests/demo/test_history.py checks it). Ids are
reserved first. On PostgreSQL, a large load drops the case table's plain indexes and builds them
again afterwards (one sort per index instead of ten million index insertions).

`yiwang demo --cases N` adds them after the demo; `yiwang demo --regions-only` builds the region
skeleton (regions, departments, logins; no residents) fast, for a megacity:
`yiwang demo --scale 200 --streets-per-district 40 --regions-only --cases 10000000`.
Deleting the demo deletes them (they are cases under the demo's regions).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from yiwang.cases import rollups
from yiwang.cases.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    VOID_STATUSES,
    Case,
    CaseRollup,
    Channel,
    Level,
    OpenCaseRollup,
    Status,
)
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region, ancestor_paths

EXTERNAL_SOURCE = "demo-history"
DEFAULT_YEARS = 3.0
EPOCH = date(1970, 1, 1)
NO_DUE_DAY = (date(9999, 12, 31) - EPOCH).days
DAY = 86_400
CHUNK = 1_000_000  # cases per CSV file / per SQLite batch group
SLICE = 250_000  # rows handed from DuckDB to SQLite at a time
BIG_LOAD = 200_000  # rows from which a table's indexes are built after the load, not during it
PHONE_POOL = 200_000  # distinct reporter phones; drawn Zipf-like, so some call again and again

# Weekly shape, Monday first; yearly wave peaking in July; hours of the day.
WEEKDAY_WEIGHT = np.array([1.15, 1.10, 1.05, 1.00, 1.05, 0.72, 0.65])
YEARLY_AMPLITUDE = 0.25
HOUR_WEIGHT = np.array([1, 0.5, 0.3, 0.3, 0.4, 0.8, 2, 4, 7, 9, 9, 8, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2.5, 2, 1.5])

SERVICE_SHARE = 0.12  # of the history's cases: service applications, the rest problems

# Statuses as codes in the arrays.
STATUS_CODES = [Status.REJECTED, Status.CLOSED, Status.RATED, Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED,
                Status.SIGNED, Status.HANDLED, Status.VERIFIED, Status.ON_HOLD]  # fmt: skip
S = {status: i for i, status in enumerate(STATUS_CODES)}
RATINGS = ["", "satisfied", "basic", "unsatisfied"]
LEVELS = [Level.GRID, Level.COMMUNITY, Level.STREET]
TIER_LEVEL = {"A": 0, "B": 1, "C": 2}


@dataclass
class HistorySummary:
    cases: int = 0
    open: int = 0
    rollup_rows: int = 0
    open_rollup_rows: int = 0
    seconds: float = 0.0
    phases: list[tuple[str, float]] = field(default_factory=list)


# --- the regions and matters the cases draw from -------------------------------------------------------


@dataclass
class _Grids:
    ids: np.ndarray  # grid ids
    community: np.ndarray  # parent id (handling region of tier B)
    street: np.ndarray  # grandparent id (tier C)
    names: list[str]
    households: np.ndarray  # target households: a grid's share of the cases
    box: np.ndarray  # (n, 4) min_lon, min_lat, max_lon, max_lat
    micro_start: np.ndarray  # index into micro arrays
    micro_count: np.ndarray
    micro_ids: np.ndarray
    micro_box: np.ndarray
    chain_grid: np.ndarray  # (grid id, region id) pairs: every ancestor of each grid and the grid itself
    chain_region: np.ndarray
    chain_detailed: np.ndarray  # whether the region's rows are kept per department too (rollups.keeps_departments)


def _grids(root) -> _Grids:
    from django.db.models import Q

    rows = Region.objects.filter(level=RegionLevel.GRID)
    if root is not None:
        roots = [root] if isinstance(root, Region) else list(root)
        rows = rows.filter(Q(*[Q(path__startswith=r.path) for r in roots], _connector=Q.OR) if roots else Q(pk__in=[]))
    grids = list(rows.order_by("path").values_list("pk", "path", "parent_id", "name", "min_lon", "min_lat", "max_lon", "max_lat", "target_households"))
    if not grids:
        raise ValueError(f"no grids under {root or 'any region'}: build the regions first")
    paths = {p for g in grids for p in ancestor_paths(g[1])}
    ids = {path: (pk, level) for path, pk, level in Region.objects.filter(path__in=paths).values_list("path", "pk", "level")}
    parents = dict(Region.objects.filter(path__in=paths).values_list("pk", "parent_id"))
    chain_grid, chain_region, chain_detailed = [], [], []
    for pk, path, *_ in grids:
        for p in ancestor_paths(path):
            if p in ids:
                chain_grid.append(pk)
                region, level = ids[p]
                chain_region.append(region)
                chain_detailed.append(rollups.keeps_departments(level))
    index = {g[0]: i for i, g in enumerate(grids)}
    micros = sorted(Region.objects.filter(level=RegionLevel.MICRO_GRID, parent_id__in=list(index))
                    .values_list("parent_id", "pk", "min_lon", "min_lat", "max_lon", "max_lat"), key=lambda m: (index[m[0]], m[1]))
    count = np.zeros(len(grids), dtype=np.int64)
    for m in micros:
        count[index[m[0]]] += 1
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)

    def box(values):
        return np.array([[v if v is not None else np.nan for v in row] for row in values], dtype=np.float64).reshape(-1, 4)

    return _Grids(
        ids=np.array([g[0] for g in grids], dtype=np.int64),
        community=np.array([g[2] or g[0] for g in grids], dtype=np.int64),
        street=np.array([parents.get(g[2]) or g[2] or g[0] for g in grids], dtype=np.int64),
        names=[g[3] for g in grids], households=np.array([g[8] or 1 for g in grids], dtype=np.float64), box=box([g[4:8] for g in grids]), micro_start=start, micro_count=count,
        micro_ids=np.array([m[1] for m in micros], dtype=np.int64), micro_box=box([m[2:] for m in micros]),
        chain_grid=np.array(chain_grid, dtype=np.int64), chain_region=np.array(chain_region, dtype=np.int64),
        chain_detailed=np.array(chain_detailed, dtype=bool),
    )


def _limit_days(limit: str) -> float:
    """A step limit ("4h" working hours, "3d" working days) as calendar days, roughly."""
    amount, unit = float(limit[:-1] or 0), limit[-1]
    working_days = amount / 8 if unit == "h" else amount
    return working_days * 7 / 5


@dataclass
class _Matters:
    ids: np.ndarray
    versions: np.ndarray
    boards: list[str]
    tiers: list[str]
    names: list[str]
    limit_days: np.ndarray
    department_kind: list[str]
    weight: np.ndarray


def _matters(rng: np.random.Generator) -> _Matters:
    from yiwang.matters.models import MatterType
    from yiwang.matters.services import current_version

    matters = list(MatterType.objects.filter(active=True).order_by("kind", "code"))
    if not matters:
        raise ValueError("no active matter types: run the migrations (they seed the catalogue)")
    versions = [current_version(m) for m in matters]
    # A few matters make most of the cases (Zipf-like), as in every city's hotline.
    ranks = rng.permutation(len(matters)) + 1
    weight = 1 / ranks**1.1
    # Applications at the one-stop hall (48 items, almost half the catalogue) are a small share of
    # what the loop handles; problems are the rest.
    application = np.array([m.kind == "service" for m in matters])
    if application.any() and not application.all():
        weight[application] *= SERVICE_SHARE / weight[application].sum()
        weight[~application] *= (1 - SERVICE_SHARE) / weight[~application].sum()
    return _Matters(
        ids=np.array([m.pk for m in matters]), versions=np.array([v.pk for v in versions]), boards=[m.board for m in matters],
        tiers=[m.default_tier for m in matters], names=[m.name for m in matters],
        limit_days=np.array([sum(_limit_days(limit) for limit in m.limits().values()) if hasattr(m, "limits") else 5.0 for m in matters]),
        department_kind=[m.department_kind for m in matters], weight=weight / weight.sum(),
    )


# --- local days ----------------------------------------------------------------------------------------


class _LocalDays:
    """UTC epoch seconds ↔ local calendar days of the site's time zone, vectorised: one offset
    per local day (at noon), which is exact for zones without daylight saving and off only in
    the switching hour of those with it."""

    def __init__(self, first_day: int, last_day: int):
        zone = timezone.get_default_timezone()
        self.first = first_day - 2
        days = range(self.first, last_day + 3)
        self.offset = np.array([int(datetime.combine(EPOCH + timedelta(days=d), datetime.min.time().replace(hour=12), zone)
                                    .utcoffset().total_seconds()) for d in days], dtype=np.int64)

    def offset_of_day(self, day: np.ndarray) -> np.ndarray:
        return self.offset[np.clip(day - self.first, 0, len(self.offset) - 1)]

    def day_of(self, utc: np.ndarray) -> np.ndarray:
        guess = np.floor_divide(utc + self.offset_of_day(np.floor_divide(utc, DAY)), DAY)
        return np.floor_divide(utc + self.offset_of_day(guess), DAY)


# --- the cases -------------------------------------------------------------------------------------------


def _draw(n: int, *, grids: _Grids, matters: _Matters, departments: dict[str, list[int]], years: float, now: datetime,
          rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every varying column of n cases, as arrays (times: UTC epoch seconds, -1 for none)."""
    now_s = int(now.timestamp())
    today = (timezone.localdate(now) - EPOCH).days
    span = max(1, int(years * 365.25))
    first = today - span + 1
    local = _LocalDays(first, today + 400)

    # When: days weighted by trend, season and weekday; today only up to now.
    days = np.arange(first, today + 1)
    t = (days - first) / span
    day_of_year = (days - (date(2000, 1, 1) - EPOCH).days) % 365.25
    weight = (0.8 + 0.4 * t) * (1 + YEARLY_AMPLITUDE * np.cos(2 * np.pi * (day_of_year - 196) / 365.25))
    weight *= WEEKDAY_WEIGHT[(days + 3) % 7]  # 1970-01-01 was a Thursday
    now_local = now_s + int(local.offset_of_day(np.array([today]))[0])
    elapsed_today = now_local - today * DAY
    weight[-1] *= max(elapsed_today, 1) / DAY
    per_day = rng.multinomial(n, weight / weight.sum())
    day = np.repeat(days, per_day)
    hour = rng.choice(24, size=n, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
    second = hour * 3600 + rng.integers(0, 3600, n)
    is_today = day == today
    second[is_today] = rng.integers(0, max(elapsed_today, 1), int(is_today.sum()))
    order = np.lexsort((second, day))
    day, second = day[order], second[order]
    reported = day * DAY + second - local.offset_of_day(day)

    # Where: grids of uneven weight, a micro-grid of the grid (most cases), a point in its box.
    grid_weight = rng.lognormal(0, 0.6, len(grids.ids)) * grids.households
    g = rng.choice(len(grids.ids), size=n, p=grid_weight / grid_weight.sum())
    has_micro = (grids.micro_count[g] > 0) & (rng.random(n) < 0.95)
    micro_index = grids.micro_start[g] + np.floor(rng.random(n) * np.maximum(grids.micro_count[g], 1)).astype(np.int64)
    micro_index = np.where(has_micro, micro_index, 0)
    micro = np.where(has_micro, grids.micro_ids[micro_index] if len(grids.micro_ids) else -1, -1)
    box = np.where(has_micro[:, None], grids.micro_box[micro_index] if len(grids.micro_ids) else grids.box[g], grids.box[g])
    u, v = rng.random(n), rng.random(n)
    lon = np.round(box[:, 0] + u * (box[:, 2] - box[:, 0]), 6)
    lat = np.round(box[:, 1] + v * (box[:, 3] - box[:, 1]), 6)

    # What: matter, tier, level, handling unit and department.
    m = rng.choice(len(matters.ids), size=n, p=matters.weight)
    tier_level = np.array([TIER_LEVEL.get(t, 1) for t in matters.tiers])[m]
    handling = np.choose(tier_level, [grids.ids[g], grids.community[g], grids.street[g]])
    kinds = {kind for kind in matters.department_kind if kind}
    department = np.full(n, -1, dtype=np.int64)
    for kind in kinds:
        pool = departments.get(kind)
        if not pool:
            continue
        pick = (tier_level == 2) & np.isin(m, [i for i, k in enumerate(matters.department_kind) if k == kind])
        department[pick] = np.array(pool)[rng.integers(0, len(pool), int(pick.sum()))]

    # How it went: deadline, duration (on time mostly), late ones, rejected ones.
    limit = np.maximum(matters.limit_days[m], 0.5) * DAY
    due = reported + limit.astype(np.int64)
    late = rng.random(n) < 0.03 + 0.04 * rng.random(len(grids.ids))[g]  # 3-7 % late, by grid: about 95 % on time
    duration = np.where(late, limit + rng.exponential(1.0 * DAY, n), limit * rng.beta(2.0, 3.0, n)).astype(np.int64)
    duration = np.maximum(duration, 600)
    end = reported + duration
    rejected = rng.random(n) < 0.03
    # Streets close nearly everything within weeks: a few recent cases are on hold (paused before
    # their deadline) or stuck past it, fewer the older they are.
    age = (now_s - reported) / DAY
    on_hold = (~rejected) & (age < 90) & (rng.random(n) < 0.005)
    stuck = (~rejected) & ~on_hold & (rng.random(n) < 0.002 * np.exp(-age / 30))
    late |= stuck
    duration = np.where(stuck, np.maximum(duration, now_s - reported + DAY), duration)
    end = reported + duration
    open_ = (~rejected) & ((end > now_s) | on_hold)
    done = (~rejected) & ~open_

    status = np.full(n, S[Status.CLOSED], dtype=np.int64)
    status[rejected] = S[Status.REJECTED]
    progress = np.clip((now_s - reported) / np.maximum(duration, 1), 0, 1)
    steps = np.searchsorted([0.05, 0.15, 0.3, 0.8, 0.92], progress, side="right")
    open_status = np.array([S[Status.REPORTED], S[Status.ACCEPTED], S[Status.DISPATCHED], S[Status.SIGNED],
                            S[Status.HANDLED], S[Status.VERIFIED]])[steps]  # fmt: skip
    status[open_] = open_status[open_]
    status[stuck] = S[Status.SIGNED]
    steps = np.where(stuck, 3, steps)
    status[on_hold] = S[Status.ON_HOLD]

    rated = done & (rng.random(n) < 0.72)
    rated_at = np.where(rated, end + rng.integers(3600, 3 * DAY, n), -1)
    rated &= rated_at <= now_s
    status[rated] = S[Status.RATED]
    satisfaction = rng.random(n) - np.where(late, 0.15, 0.0)
    rating = np.where(rated, np.searchsorted([0.05, 0.18], satisfaction, side="right"), 0)
    rating = np.where(rated, np.array([3, 2, 1])[np.clip(rating, 0, 2)], 0)  # <0.05 unsatisfied, <0.18 basic, else satisfied

    def at(fraction: float, where: np.ndarray) -> np.ndarray:
        value = reported + (duration * fraction).astype(np.int64)
        return np.where(where & (value <= now_s), value, -1)

    reached = np.where(open_, steps, 6)  # done cases passed every step
    accepted_at = at(0.05, (~rejected) & (reached >= 1))
    dispatched_at = at(0.15, (~rejected) & (reached >= 2))
    signed_at = at(0.3, (~rejected) & (reached >= 3))
    handled_at = at(0.8, (~rejected) & (reached >= 4))
    verified_at = at(0.92, (~rejected) & (reached >= 5))
    closed_at = np.where(done, end, -1)
    rejected_at = np.where(rejected, reported + rng.integers(600, DAY, n), -1)
    paused_at = np.where(on_hold, reported + (limit * 0.3).astype(np.int64), -1)
    held_at = paused_at
    close_due_at = np.where(rejected, -1, due)
    # The sweep marks an open case overdue once its deadline passed (an hour's lag); closed late ones too.
    ever_overdue = (done & late) | (open_ & ~on_hold & (due < now_s - 3600))
    rework = ((done | open_) & (handled_at >= 0) & (rng.random(n) < 0.03)).astype(np.int64)
    extension = ((~rejected) & (rng.random(n) < 0.04)).astype(np.int64)
    phone = np.where(rng.random(n) < 0.45, np.minimum(rng.zipf(1.6, n), PHONE_POOL) - 1, -1)  # index into a digest pool

    return {
        "day": day, "grid": g, "grid_id": grids.ids[g], "micro_id": micro, "lon": lon, "lat": lat, "matter": m,
        "matter_id": matters.ids[m], "version_id": matters.versions[m], "level": tier_level, "handling_id": handling,
        "department_id": department, "status": status, "rating": rating, "phone": phone,
        "reported_at": reported, "accepted_at": accepted_at, "rejected_at": rejected_at, "dispatched_at": dispatched_at,
        "signed_at": signed_at, "handled_at": handled_at, "verified_at": verified_at, "closed_at": closed_at,
        "rated_at": np.where(rated, rated_at, -1), "held_at": held_at, "paused_at": paused_at, "close_due_at": close_due_at,
        "ever_overdue": ever_overdue, "rework_count": rework, "extension_count": extension,
        "due_day": np.where(close_due_at >= 0, local.day_of(close_due_at), -1),
    }


def _contributions(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """rollups.contribution for every case at once (the same rule, column by column)."""
    status = c["status"]
    void = np.isin(status, [S[s] for s in VOID_STATUSES if s in S])
    done = np.isin(status, [S[s] for s in DONE_STATUSES])
    is_open = np.isin(status, [S[s] for s in OPEN_STATUSES if s in S])
    dated = done & (c["close_due_at"] >= 0) & (c["closed_at"] >= 0)
    late = dated & (c["closed_at"] > c["close_due_at"])
    handled = c["handled_at"] >= 0
    live = ~void
    counts = {
        "cases": live, "voided": void, "closed": live & done, "closed_on_time": live & dated & ~late, "closed_late": live & late,
        "closed_undated": live & done & ~dated, "handled": live & handled, "reworked": live & handled & (c["rework_count"] >= 1),
        "extended": live & (c["extension_count"] >= 1), "settled_overdue": live & (c["ever_overdue"] | late),
        "rated": live & (c["rating"] > 0), "satisfied": live & (c["rating"] == 1), "basic": live & (c["rating"] == 2),
    }  # fmt: skip
    paused_before_due = (c["paused_at"] >= 0) & (c["close_due_at"] >= 0) & (c["close_due_at"] > c["paused_at"])
    due_on = np.where((c["close_due_at"] < 0) | paused_before_due, NO_DUE_DAY, c["due_day"])
    return {
        **{name: value.astype(np.int32) for name, value in counts.items()},
        "open": is_open.astype(np.int32), "due_on": np.where(is_open, due_on, -1),
        "flagged": (is_open & c["ever_overdue"]).astype(np.int32),
    }


# --- writing ---------------------------------------------------------------------------------------------


def build_history(*, cases: int, root=None, years: float = DEFAULT_YEARS, seed: int = 2026,
                  now: datetime | None = None, log: Callable[[str], None] = lambda message: None) -> HistorySummary:
    """Add `cases` historic cases over the grids under `root` (a Region, several, or None for
    every grid) and count them into the rollups, in one transaction."""
    import duckdb

    from yiwang.core import bulk, crypto
    from yiwang.matters.models import Department

    if cases < 1:
        raise ValueError("cases must be at least 1")
    started = mark = time.perf_counter()
    summary = HistorySummary()

    def phase(name: str) -> None:
        nonlocal mark
        now_ = time.perf_counter()
        summary.phases.append((name, now_ - mark))
        log(f"history: {name}: {now_ - mark:.1f} s")
        mark = now_

    now = now or timezone.now()
    rng = np.random.default_rng([seed, 4])
    grids = _grids(root)
    matters = _matters(rng)
    departments: dict[str, list[int]] = {}
    for pk, kind in Department.objects.order_by("pk").values_list("pk", "kind"):
        departments.setdefault(kind, []).append(pk)
    c = _draw(cases, grids=grids, matters=matters, departments=departments, years=years, now=now, rng=rng)
    contributions = _contributions(c)
    board_codes = sorted(set(matters.boards))
    board_of_matter = np.array([board_codes.index(b) for b in matters.boards])
    phone_numbers = np.random.default_rng([seed, 5]).integers(13_000_000_000, 19_000_000_000, PHONE_POOL)
    phones = crypto.digest_many([str(number) for number in phone_numbers.tolist()])
    phase(f"drew {cases:,} cases over {len(grids.ids):,} grids")

    db = duckdb.connect()
    db.execute(f"SET threads TO {min(2, os.cpu_count() or 1)}")
    with transaction.atomic():
        ids = _reserve_ids_fast(cases) if connection.vendor == "postgresql" else bulk.reserve_ids(Case, cases)
        first_id = ids[0]
        arrays = {k: v for k, v in c.items() if isinstance(v, np.ndarray)}
        arrays.update({f"k_{k}": v for k, v in contributions.items()})
        arrays["board"] = board_of_matter[c["matter"]]
        arrays["id"] = np.arange(first_id, first_id + cases, dtype=np.int64)
        arrays["ever_overdue"] = c["ever_overdue"].astype(np.int32)
        db.register("history_arrays", _frame(arrays))
        db.execute("CREATE TABLE h AS SELECT * FROM history_arrays")
        summary.open = int(db.execute("SELECT coalesce(sum(k_open), 0) FROM h").fetchall()[0][0])
        db.unregister("history_arrays")
        # DuckDB holds its own copy now: free the numpy columns (gigabytes at ten million cases).
        del arrays
        c.clear()
        contributions.clear()
        db.execute("CREATE TABLE boards AS SELECT * FROM (VALUES " + ", ".join(f"({i}, '{b}')" for i, b in enumerate(board_codes)) + ") t(i, code)")
        db.register("matters_src", _frame({"i": np.arange(len(matters.ids)), "tier": np.array(matters.tiers, dtype=object),
                                            "name": np.array(matters.names, dtype=object)}))
        db.register("grids_src", _frame({"i": np.arange(len(grids.ids)), "name": np.array(grids.names, dtype=object)}))
        db.register("phones_src", _frame({"i": np.arange(len(phones)), "digest": np.array(phones, dtype=object)}))
        db.register("chain_src", _frame({"grid_id": grids.chain_grid, "region_id": grids.chain_region, "detailed": grids.chain_detailed}))
        for name in ("matters", "grids", "phones", "chain"):
            db.execute(f"CREATE TABLE {name}_t AS SELECT * FROM {name}_src")
        phase("arrays into DuckDB")

        _write_cases(db, cases, first_id, now)
        phase(f"wrote {cases:,} cases ({connection.vendor})")
        summary.rollup_rows, summary.open_rollup_rows = _write_rollups(db)
        phase(f"wrote {summary.rollup_rows:,} rollup rows and {summary.open_rollup_rows:,} open-case rollup rows")
    _analyze()
    phase("analyzed")
    summary.cases = cases
    summary.seconds = time.perf_counter() - started
    return summary


def _frame(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A dict of equally long numpy arrays, which DuckDB scans as a table; booleans as int32."""
    return {k: (v.astype(np.int32) if v.dtype == bool else v) for k, v in arrays.items()}


def _reserve_ids_fast(count: int) -> range:
    """`count` consecutive case ids from the PostgreSQL sequence: the table is locked against
    other writers while the sequence is moved past them."""
    table, column = Case._meta.db_table, Case._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        sequence = cursor.fetchone()[0]
        cursor.execute(f'SELECT greatest((SELECT coalesce(max("{column}"), 0) FROM "{table}"), (SELECT last_value FROM {sequence}))')
        start = cursor.fetchone()[0] + 1
        cursor.execute("SELECT setval(%s, %s)", [sequence, start + count - 1])
    return range(start, start + count)


def _ts(column: str, *, postgres: bool) -> str:
    """DuckDB SQL: an epoch-seconds column (-1 = none) as the database's datetime text."""
    text = f"strftime(make_timestamp({column} * 1000000), '%Y-%m-%d %H:%M:%S')"
    suffix = " || '+00'" if postgres else ""
    return f"CASE WHEN {column} >= 0 THEN {text}{suffix} END"


def _case_columns(postgres: bool, now: datetime) -> list[tuple[str, str]]:
    """(database column, DuckDB expression) for every column of the case table."""
    ts = lambda name: _ts(name, postgres=postgres)
    true, false = ("true", "false") if postgres else ("1", "0")
    statuses = "[" + ", ".join(f"'{s}'" for s in STATUS_CODES) + "]"
    ratings = "[" + ", ".join(f"'{r}'" for r in RATINGS) + "]"
    levels = "[" + ", ".join(f"'{lv}'" for lv in LEVELS) + "]"
    local_day = "strftime(DATE '1970-01-01' + CAST(h.day AS INTEGER), '%Y%m%d')"
    expressions = {
        "id": "h.id", "number": f"{local_day} || CASE WHEN h.id < 1000000 THEN lpad(CAST(h.id AS VARCHAR), 6, '0') ELSE CAST(h.id AS VARCHAR) END", "channel": f"'{Channel.IMPORT}'",
        "status": f"{statuses}[h.status + 1]", "matter_id": "h.matter_id", "matter_version_id": "h.version_id", "board": "b.code",
        "tier": "m.tier", "urgency": "'normal'", "level": f"CASE WHEN h.department_id >= 0 THEN '{Level.STREET}' ELSE {levels}[h.level + 1] END",
        "region_id": "h.grid_id", "micro_grid_id": "CASE WHEN h.micro_id >= 0 THEN h.micro_id END", "lon": "CASE WHEN NOT isnan(h.lon) THEN h.lon END", "lat": "CASE WHEN NOT isnan(h.lat) THEN h.lat END",
        "address": "g.name || '附近'", "description": "m.name || '（历史数据）'", "attributes": "'{}'", "reporter_name": "''",
        "phone_sealed": "''", "phone_digest": "coalesce(p.digest, '')", "reported_by_id": "NULL", "access_code_hash": "''",
        "handling_region_id": "h.handling_id", "handling_department_id": "CASE WHEN h.department_id >= 0 THEN h.department_id END",
        "handler_id": "NULL", "assignee_id": "NULL", "assignee_role": "''", "merged_into_id": "NULL", "device_id": "NULL",
        "external_source": f"'{EXTERNAL_SOURCE}'", "external_id": "''",
        "merged_at": "NULL", "escalated_at": "NULL", "reopened_at": "NULL",
        "step": "''", "step_started_at": "NULL", "step_warn_at": "NULL", "step_due_at": "NULL", "step_overdue": false,
        "reminded_at": "NULL", "deadline_note": "''", "solved_on_spot": false,
        "ever_overdue": f"CASE WHEN h.ever_overdue = 1 THEN {true} ELSE {false} END", "rework_count": "h.rework_count",
        "return_count": "0", "reopen_count": "0", "escalation_count": "0", "extension_count": "h.extension_count",
        "rating": f"{ratings}[h.rating + 1]", "rating_note": "''",
    }  # fmt: skip
    for name in ("reported_at", "accepted_at", "rejected_at", "dispatched_at", "signed_at", "handled_at", "verified_at", "closed_at",
                 "rated_at", "held_at", "paused_at", "close_due_at"):
        expressions[name] = ts(f"h.{name}")
    columns = []
    for f in Case._meta.concrete_fields:
        if f.attname not in expressions:
            raise RuntimeError(f"history: no value for Case.{f.attname}; add it to _case_columns")
        columns.append((f.column, expressions[f.attname]))
    return columns


CASE_SOURCE = ("FROM h JOIN boards b ON b.i = h.board JOIN matters_t m ON m.i = h.matter JOIN grids_t g ON g.i = h.grid "
               "LEFT JOIN phones_t p ON p.i = h.phone")


def _write_cases(db, cases: int, first_id: int, now: datetime) -> None:
    postgres = connection.vendor == "postgresql"
    columns = _case_columns(postgres, now)
    quote = connection.ops.quote_name
    # SQLite takes the constant columns as literals in the INSERT: half the values to hand over.
    constant = {name: expr for name, expr in columns if not postgres and _is_literal(expr)}
    varying = [(name, expr) for name, expr in columns if name not in constant]
    select = ", ".join(expr for _, expr in varying)
    target = f"{quote(Case._meta.db_table)} ({', '.join(quote(name) for name, _ in (*varying, *constant.items()))})"
    with _plain_indexes_dropped(Case, rows=cases), _foreign_keys_checked_by_set(db, cases):
        for start in range(first_id, first_id + cases, CHUNK):
            where = f"WHERE h.id >= {start} AND h.id < {start + CHUNK}"
            _load(db, f"SELECT {select} {CASE_SOURCE} {where} ORDER BY h.id", target, len(varying), literals=list(constant.values()))


def _is_literal(expression: str) -> bool:
    return expression in ("NULL", "0", "1", "''") or (expression.startswith("'") and expression.endswith("'") and expression.count("'") == 2)


def _load(db, query: str, target: str, width: int, literals: list[str] = ()) -> int:
    """Rows of a DuckDB query into a table (yiwang.core.bulk): COPY (CSV) on PostgreSQL, executemany on SQLite."""
    from yiwang.core import bulk

    if connection.vendor == "postgresql":
        with tempfile.TemporaryDirectory(prefix="yiwang-history-") as tmp:
            path = os.path.join(tmp, "rows.csv")
            db.execute(f"COPY ({query}) TO '{path}' (HEADER false)")
            with open(path, "rb") as rows:
                bulk.copy_in(target, iter(lambda: rows.read(1 << 22), b""), format="csv")
        return 0
    sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * width + [v.replace('%', '%%') for v in literals])})"
    # Column-wise (fetchnumpy) is many times faster than DuckDB's row-wise fetch; slices bound the memory.
    db.execute(f"CREATE OR REPLACE TEMPORARY TABLE load_rows AS SELECT row_number() OVER () AS load_rn, * FROM ({query})")
    total = db.execute("SELECT count(*) FROM load_rows").fetchall()[0][0]
    for start in range(0, total, SLICE):
        arrays = db.execute(f"SELECT * EXCLUDE (load_rn) FROM load_rows WHERE load_rn > {start} AND load_rn <= {start + SLICE}").fetchnumpy()
        rows = list(zip(*(column.tolist() for column in arrays.values()), strict=True))
        bulk.execute_many(sql, rows, batch_size=20_000)
    db.execute("DROP TABLE load_rows")
    return total


class _foreign_keys_checked_by_set:
    """PostgreSQL checks each row's foreign keys with a trigger, one lookup per key per row (most of
    the time of a large COPY). A superuser may skip the triggers (session_replication_role =
    replica) when every key value is checked at once instead: the distinct values of each key
    column are looked up in their tables before the load."""

    CHECKS = (("matter_id", "matters.MatterType"), ("version_id", "matters.MatterTypeVersion"), ("grid_id", "regions.Region"),
              ("micro_id", "regions.Region"), ("handling_id", "regions.Region"), ("department_id", "matters.Department"))

    def __init__(self, db, rows: int):
        self.db, self.active = db, False
        self.when = connection.vendor == "postgresql" and rows >= BIG_LOAD

    def __enter__(self):
        if not self.when:
            return self
        from django.apps import apps

        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                return self
        for column, label in self.CHECKS:
            values = [v for (v,) in self.db.execute(f"SELECT DISTINCT {column} FROM h WHERE {column} >= 0").fetchall()]
            model = apps.get_model(label)
            found = model.objects.filter(pk__in=values).count()
            if found != len(values):
                raise RuntimeError(f"history: {len(values) - found} {column} values have no {label} row")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        self.active = True
        return self

    def __exit__(self, kind, error, trace):
        if self.active and kind is None:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
        return False


class _plain_indexes_dropped:
    """Drop a table's indexes that back no constraint (PostgreSQL) or were made by CREATE INDEX
    (SQLite) and create them again on exit: one sort per index instead of an index insertion per
    row. Only on success; a failure rolls the DROP back with the transaction."""

    def __init__(self, model, *, rows: int):
        self.model, self.definitions = model, []
        self.when = rows >= BIG_LOAD

    def __enter__(self):
        if not self.when:
            return self
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND i.schemaname = current_schema() "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [table])
            else:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table])
            self.definitions = cursor.fetchall()
            for name, _ in self.definitions:
                cursor.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, kind, error, trace):
        if kind is None and self.definitions:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # The loaded rows' deferred foreign-key checks must run before an index can be built.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for _, definition in self.definitions:
                    cursor.execute(definition)
                if connection.vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return False


ROLLUP_COUNTS = ("cases", "voided", "closed", "closed_on_time", "closed_late", "closed_undated", "handled", "reworked",
                 "extended", "settled_overdue", "rated", "satisfied", "basic")  # fmt: skip


def _write_rollups(db) -> tuple[int, int]:
    """Group the cases' contributions under every region of their chain and their micro-grid,
    per day, month and year, and add them to the rollup tables in rollups.Deltas' shape."""
    from yiwang.cases import rollups

    assert rollups.COUNTS == ROLLUP_COUNTS, "rollups.COUNTS changed: update history.ROLLUP_COUNTS"
    sums = ", ".join(f"sum(k_{name}) AS {name}" for name in ROLLUP_COUNTS)
    resum = ", ".join(f"sum({name}) AS {name}" for name in ROLLUP_COUNTS)
    # Per (grid, micro, board, department, day) first: far fewer rows to spread over the chain.
    db.execute(f"""CREATE TABLE per_cell AS SELECT grid_id, micro_id, board, department_id, day, {sums}
                   FROM h GROUP BY ALL""")
    # Each region's rows per department and, again, for all departments (rollups.ALL_DEPARTMENTS).
    db.execute(f"""CREATE TABLE per_region AS SELECT region_id, detailed, board, greatest(department_id, 0) AS department_key, day, {resum} FROM (
                     SELECT ch.region_id, ch.detailed, c.* EXCLUDE (grid_id, micro_id) FROM per_cell c JOIN chain_t ch ON ch.grid_id = c.grid_id
                     UNION ALL
                     SELECT c.micro_id AS region_id, false, c.* EXCLUDE (grid_id, micro_id) FROM per_cell c WHERE c.micro_id >= 0
                   ) GROUP BY ALL""")
    # ... and for all departments and all boards (rollups.ALL_BOARDS, board index -1 here).
    db.execute(f"CREATE TABLE rollup_boards AS SELECT * FROM boards UNION ALL SELECT -1, '{rollups.ALL_BOARDS}'")
    db.execute(f"""CREATE TABLE per_day AS SELECT * EXCLUDE (detailed) FROM per_region WHERE detailed UNION ALL
                   SELECT region_id, board, {rollups.ALL_DEPARTMENTS}, day, {resum} FROM per_region GROUP BY region_id, board, day UNION ALL
                   SELECT region_id, -1, {rollups.ALL_DEPARTMENTS}, day, {resum} FROM per_region GROUP BY region_id, day""")
    counters = ", ".join(ROLLUP_COUNTS)
    day_date = "DATE '1970-01-01' + CAST(day AS INTEGER)"
    rows = f"""SELECT region_id, department_key, 'd' AS grain, CAST({day_date} AS VARCHAR) AS period, b.code AS board, {counters}
               FROM per_day JOIN rollup_boards b ON b.i = per_day.board
               UNION ALL
               SELECT region_id, department_key, 'm', CAST(date_trunc('month', {day_date})::DATE AS VARCHAR), b.code, {resum}
               FROM per_day JOIN rollup_boards b ON b.i = per_day.board GROUP BY ALL
               UNION ALL
               SELECT region_id, department_key, 'y', CAST(date_trunc('year', {day_date})::DATE AS VARCHAR), b.code, {resum}
               FROM per_day JOIN rollup_boards b ON b.i = per_day.board GROUP BY ALL"""
    counted = _add_rows(db, CaseRollup, rollups.COUNT_KEY, ROLLUP_COUNTS, rows)

    db.execute("""CREATE TABLE open_cells AS SELECT grid_id, micro_id, board, department_id, day, k_due_on AS due_on,
                  sum(k_open) AS open_cases, sum(k_flagged) AS flagged FROM h WHERE k_open = 1 GROUP BY ALL""")
    db.execute("""CREATE TABLE open_region AS SELECT region_id, detailed, greatest(department_id, 0) AS department_key, day, due_on, board,
                    sum(open_cases) AS open_cases, sum(flagged) AS flagged FROM (
                    SELECT ch.region_id, ch.detailed, c.* EXCLUDE (grid_id, micro_id) FROM open_cells c JOIN chain_t ch ON ch.grid_id = c.grid_id
                    UNION ALL
                    SELECT c.micro_id AS region_id, false, c.* EXCLUDE (grid_id, micro_id) FROM open_cells c WHERE c.micro_id >= 0
                  ) GROUP BY ALL""")
    open_rows = f"""SELECT region_id, department_key, CAST({day_date} AS VARCHAR) AS reported_on,
                      CAST(DATE '1970-01-01' + CAST(due_on AS INTEGER) AS VARCHAR) AS due_on, b.code AS board, open_cases, flagged FROM (
                      SELECT * EXCLUDE (detailed) FROM open_region WHERE detailed UNION ALL
                      SELECT region_id, {rollups.ALL_DEPARTMENTS}, day, due_on, board, sum(open_cases), sum(flagged) FROM open_region
                      GROUP BY region_id, day, due_on, board UNION ALL
                      SELECT region_id, {rollups.ALL_DEPARTMENTS}, day, due_on, -1, sum(open_cases), sum(flagged) FROM open_region
                      GROUP BY region_id, day, due_on
                    ) x JOIN rollup_boards b ON b.i = x.board"""
    opened = _add_rows(db, OpenCaseRollup, rollups.OPEN_KEY, ("open_cases", "flagged"), open_rows)
    return counted, opened


def _add_rows(db, model, keys: tuple[str, ...], counters: tuple[str, ...], query: str) -> int:
    """Add the query's rows to a rollup table: straight in when the table is empty, else through a
    staging table and one INSERT ... SELECT ... ON CONFLICT that adds to the counters."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = [model._meta.get_field(k.removesuffix("_id")).column if k.endswith("_id") else k for k in (*keys, *counters)]
    column_sql = ", ".join(quote(n) for n in names)
    count = db.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
    # In key order: the rows a read of one region asks for then lie on a few pages, not thousands.
    query = f"SELECT * FROM ({query}) ORDER BY {', '.join(str(i + 1) for i in range(len(keys)))}"
    if not model.objects.exists():
        # Region ids come from the grids' chains and micro-grids, all read in this transaction.
        with _plain_indexes_dropped(model, rows=count), _foreign_keys_checked_by_set(db, count):
            _load(db, query, f"{table} ({column_sql})", len(names))
        return count
    staging = quote(f"{model._meta.db_table}_history_staging")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} AS SELECT {column_sql} FROM {table} WHERE 1 = 0")
    try:
        _load(db, query, f"{staging} ({column_sql})", len(names))
        update = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in counters)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({column_sql}) SELECT {column_sql} FROM {staging} WHERE true "
                           f"ON CONFLICT ({', '.join(quote(n) for n in names[:len(keys)])}) DO UPDATE SET {update}")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {staging}")
    return count


def _analyze() -> None:
    """Fresh planner statistics: the screen's queries are planned on them."""
    tables = [m._meta.db_table for m in (Case, CaseRollup, OpenCaseRollup)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


def delete_history(*, root: Region | None = None) -> int:
    """Delete the demo history cases (under `root`, or all) and recount the rollups."""
    from yiwang.cases import rollups

    from .generator import delete_rows

    with transaction.atomic():
        rows = Case.objects.filter(external_source=EXTERNAL_SOURCE)
        if root is not None:
            rows = rows.filter(region__path__startswith=root.path)
        count = rows.count()
        delete_rows(rows)
        rollups.rebuild()
    return count


# --- the megacity skeleton -------------------------------------------------------------------------------


def build_skeleton(*, seed: int, scale: int, streets_per_district: int | None = None, reset: bool = False,
                   log: Callable[[str], None] = lambda message: None) -> tuple[dict[str, int], list]:
    """The demo's regions (all `scale` 云枫-like streets with communities, grids and micro-grids),
    the departments and the demo logins, but no residents, houses, party tree, forces or cases:
    what a history of millions of cases needs, in a fraction of the full build's time."""
    from yiwang.core import audit
    from yiwang.regions.importing import default_china_data_dir
    from yiwang.regions.models import BoundaryVersion

    from .closed_loop import _departments
    from .generator import (
        DEMO_BUILT,
        DemoAlreadyLoaded,
        _insert_regions,
        delete_demo,
        is_loaded,
    )
    from .logins import create_logins
    from .plan import DISTRICT_CODE, YUNFENG_STREET, build_plan, plan_street_copy

    started = time.perf_counter()
    plan = build_plan(seed=seed, scale=scale, persons_per_street=1, data_dir=default_china_data_dir(),
                      streets_per_district=streets_per_district)
    if is_loaded():
        if not reset:
            raise DemoAlreadyLoaded(f"demo already loaded ({DISTRICT_CODE} exists), use --reset to delete and rebuild it")
        delete_demo(log=log)
    regions = 0
    with transaction.atomic():
        _insert_regions(plan.districts + plan.streets)
        audit.record(actor=None, action=DEMO_BUILT, target_type="regions.region",
                     detail={"seed": seed, "scale": scale, "regions_only": True, "streets_per_district": streets_per_district})
        pending: list[Region] = []
        for slot in plan.slots:
            pending += plan_street_copy(plan, slot).regions
            if len(pending) >= 20_000 or slot is plan.slots[-1]:
                _insert_regions(pending)
                regions += len(pending)
                pending = []
                log(f"regions: {slot.index + 1}/{len(plan.slots)} streets planned and written ({time.perf_counter() - started:.0f} s)")
        BoundaryVersion.bump()
        logins = create_logins(grid_workers={})
        _departments(Region.objects.get(code=DISTRICT_CODE), Region.objects.get(code=f"{YUNFENG_STREET}000"))
    log(f"skeleton: {len(plan.districts)} districts, {len(plan.streets)} streets, {regions:,} communities, grids and micro-grids "
        f"in {time.perf_counter() - started:.1f} s")
    return {"districts": len(plan.districts), "streets": len(plan.streets), "regions below streets": regions}, logins
