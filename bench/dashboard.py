"""Command-center reads at scale: the KPI tiles, the ranking and the map layer for a street, a
district and the whole city, each beside DuckDB answering the same aggregate over the same case
rows in the same run.

Data: a SQLite district of 1,000,000 cases (`yiwang demo --scale 10 --regions-only --cases 1000000`)
and, when YIWANG_BENCH_DATABASE_URL names a PostgreSQL server, a megacity of 10,000,000 cases
(`--scale 200 --streets-per-district 40`, five districts). Each is built in a throwaway database
unless an already-built one is named: YIWANG_BENCH_DASHBOARD_SQLITE=/path/to/file.sqlite3,
YIWANG_BENCH_DASHBOARD_POSTGRES=postgres://.../db (building the megacity takes a while; build it
once with the demo command and point the variable at it). `--quick`: the SQLite district only.

Ours (yiwang.command.figures, reading the rollups): kpi(place, 30 days), ranking(place's
children, 30 days), map_layer(the units the map draws, 365 days: a street's grids, a district's
streets, the city's districts). The baseline: the raw case rows (status, board, times, rating and
the ids of the case's district, street, community and grid) are loaded once into an in-memory
DuckDB table from the same database, then the equivalent GROUP BY runs: counts by board over 30
days plus open and overdue now; counts per child over 30 days; per drawn unit over 365 days. Both
are timed warm, median of REPEAT runs. DuckDB's KPI, ranking and map counts must equal ours, or the
run fails: the comparison is between equal answers.

Metric names: kpi_ms@{street,district,city}_{sqlite,postgresql}, ranking_ms@..., map_layer_ms@...;
ratio = ours / DuckDB. Targets: under 100 ms each, ratio at most 1.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import emit, metric

ROOT = Path(__file__).resolve().parent.parent
REPEAT = 7
SQLITE_DISTRICT = {"scale": 10, "cases": 1_000_000}
POSTGRES_MEGACITY = {"scale": 200, "streets_per_district": 40, "cases": 10_000_000}
DISTRICT_CODE, STREET_CODE = "500154", "500154003000"
LEVEL_COLUMNS = {"district": "district_id", "street": "street_id", "community": "community_id", "grid": "grid_id"}


def main(quick: bool = False) -> None:
    from bench.person_import import _throwaway_postgres

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as tmp:
        sqlite_path = os.environ.get("YIWANG_BENCH_DASHBOARD_SQLITE")
        sqlite_env = dict(env, YIWANG_SQLITE_PATH=sqlite_path or str(Path(tmp) / "district.sqlite3"),
                          YIWANG_MEDIA_ROOT=str(Path(tmp) / "media"))
        if not sqlite_path:
            _build(sqlite_env, **SQLITE_DISTRICT)
        for row in _measure_child(sqlite_env, "sqlite"):
            emit(row)
        if quick:
            return
        url = os.environ.get("YIWANG_BENCH_DATABASE_URL", "")
        built = os.environ.get("YIWANG_BENCH_DASHBOARD_POSTGRES")
        if built:
            for row in _measure_child(dict(env, DATABASE_URL=built), "postgresql"):
                emit(row)
        elif urlsplit(url).scheme in {"postgres", "postgresql"}:
            with _throwaway_postgres(url) as bench_url:
                pg_env = dict(env, DATABASE_URL=bench_url)
                _build(pg_env, **POSTGRES_MEGACITY)
                for row in _measure_child(pg_env, "postgresql"):
                    emit(row)


def _run(env: dict[str, str], args: list[str]) -> str:
    env = dict(env, DJANGO_SETTINGS_MODULE="yiwang.settings", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dashboard benchmark: {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def _build(env: dict[str, str], *, scale: int, cases: int, streets_per_district: int | None = None) -> None:
    started = time.perf_counter()
    _run(env, ["-m", "yiwang.manage", "migrate", "-v0"])
    args = ["-m", "yiwang.manage", "demo", "--scale", str(scale), "--regions-only", "--cases", str(cases)]
    if streets_per_district:
        args += ["--streets-per-district", str(streets_per_district)]
    _run(env, args)
    print(f"dashboard: built {cases:,} cases (scale {scale}) in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _measure_child(env: dict[str, str], vendor: str) -> list[dict]:
    out = _run(env, ["-m", "bench.dashboard", vendor])
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


# --- measuring, in the process whose database holds the data -----------------------------------------


def _median_ms(work, repeat: int) -> float:
    work()  # warm: caches, plans, pages
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def load_duckdb(as_of):
    """An in-memory DuckDB table `c` of every case: what the KPI needs, the local report day, and
    the ids of its district, street, community and grid (from the region paths)."""
    import duckdb
    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from yiwang.regions.models import Region

    offset = int(timezone.localtime(as_of).utcoffset().total_seconds())
    by_path = dict(Region.objects.values_list("path", "pk"))
    level_of = dict(Region.objects.values_list("pk", "level"))
    chain: dict[int, dict[str, int]] = {}
    for path, pk in by_path.items():
        if level_of[pk] != "grid":
            continue
        ids = {}
        parts = path.strip("/").split("/")
        for i in range(len(parts)):
            ancestor = by_path.get("/" + "/".join(parts[: i + 1]) + "/")
            if ancestor is not None and level_of[ancestor] in LEVEL_COLUMNS:
                ids[LEVEL_COLUMNS[level_of[ancestor]]] = ancestor
        chain[pk] = ids

    db = duckdb.connect()
    db.execute("SET threads TO 2")
    db.execute("""CREATE TABLE c (grid_id BIGINT, status VARCHAR, board VARCHAR, reported BIGINT, due BIGINT, closed BIGINT,
                  paused BIGINT, rating VARCHAR)""")
    epoch = "EXTRACT(EPOCH FROM {0})" if connection.vendor == "postgresql" else "CAST(strftime('%s', {0}) AS INTEGER)"
    columns = ["region_id", "status", "board"] + [epoch.format(c) for c in ("reported_at", "close_due_at", "closed_at", "paused_at")] + ["rating"]
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        # COPY out to a CSV file DuckDB reads in parallel: ten million rows in under a minute.
        with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as tmp:
            path = Path(tmp) / "cases.csv"
            with connection.cursor() as cursor, path.open("wb") as out, cursor.cursor.copy(
                    f"COPY (SELECT region_id, status, board, {', '.join(f'coalesce({c}::bigint, -1)' for c in columns[3:7])}, rating "
                    f"FROM cases_case) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    out.write(block)
            db.execute(f"INSERT INTO c SELECT * FROM read_csv('{path}', header = false, columns = {{'grid_id': 'BIGINT', "
                       "'status': 'VARCHAR', 'board': 'VARCHAR', 'reported': 'BIGINT', 'due': 'BIGINT', 'closed': 'BIGINT', "
                       "'paused': 'BIGINT', 'rating': 'VARCHAR'}, quote = '\"', nullstr = '\\N')")
    cursor_rows = connection.vendor != "postgresql"
    with connection.cursor() as cursor:
        if cursor_rows:
            cursor.execute(f"SELECT {', '.join(columns)} FROM cases_case")
        while cursor_rows and (rows := cursor.fetchmany(500_000)):
            cols = list(zip(*rows, strict=True))
            chunk = {
                "grid_id": np.array(cols[0], dtype=np.int64), "status": np.array(cols[1], dtype=object), "board": np.array(cols[2], dtype=object),
                **{name: np.array([-1 if v is None else int(v) for v in cols[i]], dtype=np.int64)
                   for i, name in ((3, "reported"), (4, "due"), (5, "closed"), (6, "paused"))},
                "rating": np.array(cols[7], dtype=object),
            }  # fmt: skip
            db.register("chunk", chunk)
            db.execute("INSERT INTO c SELECT * FROM chunk")
            db.unregister("chunk")
    grids = sorted(chain)
    chain_frame = {"grid_id": np.array(grids, dtype=np.int64)}
    for column in ("district_id", "street_id", "community_id"):
        chain_frame[column] = np.array([chain[g].get(column, -1) for g in grids], dtype=np.int64)
    db.register("chain_frame", chain_frame)
    db.execute("CREATE TABLE chain AS SELECT * FROM chain_frame")
    # Statuses and ratings as flags, boards as an enum, rows in report-day order (DuckDB skips row
    # groups outside a day range): the baseline gets the table shape that suits it best.
    from yiwang.cases.models import DONE_STATUSES, OPEN_STATUSES, VOID_STATUSES
    from yiwang.matters.models import Board

    def listed(values) -> str:
        return ", ".join(f"'{v}'" for v in sorted(values))

    db.execute(f"CREATE TYPE board_t AS ENUM ({listed(Board.values)})")
    db.execute(f"""CREATE TABLE cases AS SELECT ch.district_id, ch.street_id, ch.community_id, c.grid_id, CAST(c.board AS board_t) AS board,
                   CAST(floor((c.reported + {offset}) / 86400) AS INTEGER) AS day, c.due, c.closed, c.paused,
                   c.status IN ({listed(OPEN_STATUSES)}) AS is_open, c.status IN ({listed(DONE_STATUSES)}) AS is_done,
                   c.status IN ({listed(VOID_STATUSES)}) AS is_void, c.rating <> '' AS is_rated, c.rating = 'satisfied' AS is_satisfied
                   FROM c JOIN chain ch USING (grid_id) ORDER BY day""")
    db.execute("DROP TABLE c")
    count = db.execute("SELECT count(*) FROM cases").fetchall()[0][0]
    print(f"dashboard: {count:,} case rows into DuckDB in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db, count


def _duckdb_queries(place, as_of, day_30: int, day_365: int, today: int) -> dict[str, str]:
    now = int(as_of.timestamp())
    where = f"{LEVEL_COLUMNS[place.level]} = {place.pk}" if place is not None else "true"
    child = {None: "district_id", "district": "street_id", "street": "community_id", "community": "grid_id"}[place.level if place else None]
    # The map draws the grids of a street or community (yiwang.command.places.map_units), so it is counted per grid.
    drawn = "grid_id" if place is not None and place.level in ("street", "community") else child
    counts = ("count(*) FILTER (WHERE NOT is_void) AS cases, count(*) FILTER (WHERE is_done) AS closed, "
              "count(*) FILTER (WHERE is_done AND due >= 0 AND closed >= 0 AND closed <= due) AS on_time, "
              "count(*) FILTER (WHERE is_rated) AS rated, count(*) FILTER (WHERE is_satisfied) AS satisfied")
    running = "due >= 0 AND NOT (paused >= 0 AND due > paused)"
    return {
        "kpi": f"""SELECT board, {counts}, count(*) FILTER (WHERE day = {today} AND NOT is_void) AS today,
                   0 AS open_now, 0 AS overdue_now FROM cases WHERE {where} AND day >= {day_30} AND day <= {today} GROUP BY board
                   UNION ALL
                   SELECT board, 0, 0, 0, 0, 0, 0, count(*), count(*) FILTER (WHERE {running} AND due < {now})
                   FROM cases WHERE {where} AND is_open GROUP BY board""",
        "ranking": f"SELECT {child}, {counts} FROM cases WHERE {where} AND day >= {day_30} AND day <= {today} GROUP BY {child}",
        "map_layer": f"SELECT {drawn}, {counts} FROM cases WHERE {where} AND day >= {day_365} AND day <= {today} GROUP BY {drawn}",
    }


def measure(vendor: str, *, repeat: int = REPEAT, places=None, db=None) -> list[dict]:
    """The nine metrics on the current database. `places`: (label, Region or None) triples to
    measure; by default the demo's 云枫街道, 开州区 and the whole city."""
    from django.utils import timezone

    from yiwang.command import figures
    from yiwang.command.figures import Period
    from yiwang.regions.models import Region

    as_of = timezone.now()
    today = timezone.localdate(as_of)
    epoch_day = lambda d: (d - today.__class__(1970, 1, 1)).days  # noqa: E731
    if places is None:
        places = [("street", Region.objects.get(code=STREET_CODE)), ("district", Region.objects.get(code=DISTRICT_CODE)), ("city", None)]
    if db is None:
        db, rows = load_duckdb(as_of)
    else:
        rows = db.execute("SELECT count(*) FROM cases").fetchall()[0][0]
    month, year = Period.last_days(30, today=today), Period.last_days(365, today=today)
    results = []
    for label, place in places:
        queries = _duckdb_queries(place, as_of, epoch_day(month.start), epoch_day(year.start), epoch_day(today))
        ours_kpi = figures.kpi(place, period=month, as_of=as_of)
        theirs = db.execute(f"SELECT sum(cases), sum(closed), sum(on_time), sum(open_now), sum(overdue_now), sum(today) FROM ({queries['kpi']})").fetchall()[0]
        total = ours_kpi["total"]
        mine = (total["period_cases"], total["period_closed"], None, total["open_now"], total["overdue_now"], total["today_reported"])
        if [int(v or 0) for i, v in enumerate(theirs) if i != 2] != [int(v or 0) for i, v in enumerate(mine) if i != 2]:
            raise RuntimeError(f"dashboard: KPI of {label} differs: ours {mine}, DuckDB {theirs}")
        ours_rank = {row["key"]: row["cases"] for row in figures.ranking(place, period=month, by="region", as_of=as_of)}
        their_rank = dict(db.execute(f"SELECT * EXCLUDE (closed, on_time, rated, satisfied) FROM ({queries['ranking']})").fetchall())
        if {k: v for k, v in ours_rank.items() if v} != {k: v for k, v in their_rank.items() if v}:
            raise RuntimeError(f"dashboard: ranking of {label} differs: ours {ours_rank}, DuckDB {their_rank}")
        codes = dict(Region.objects.values_list("code", "pk"))
        ours_map = {codes[f["properties"]["code"]]: f["properties"]["cases"]
                    for f in figures.map_layer(place, period=year, indicator="on_time_rate", as_of=as_of)["features"]}
        their_map = {k: n for k, n, *_ in db.execute(queries["map_layer"]).fetchall()}
        if {k: v for k, v in ours_map.items() if v} != {k: v for k, v in their_map.items() if v}:
            raise RuntimeError(f"dashboard: map layer of {label} differs: ours {ours_map}, DuckDB {their_map}")
        ours = {
            "kpi": lambda place=place: figures.kpi(place, period=month, as_of=as_of),
            "ranking": lambda place=place: figures.ranking(place, period=month, by="region", as_of=as_of),
            "map_layer": lambda place=place: figures.map_layer(place, period=year, indicator="on_time_rate", as_of=as_of),
        }
        for name, work in ours.items():
            ours_ms = _median_ms(work, repeat)
            duck_ms = _median_ms(lambda q=queries[name]: db.execute(q).fetchall(), repeat)
            what = {"kpi": "30-day counts by board plus open and overdue now", "ranking": "30-day counts per child region",
                    "map_layer": "365-day counts per child region"}[name]
            results.append(metric(f"{name}_ms@{label}_{vendor}", ours_ms, "ms",
                                  baseline=f"DuckDB GROUP BY over the same {rows:,} case rows in memory ({what}), median of {repeat}",
                                  baseline_value=duck_ms))  # fmt: skip
    return results


if __name__ == "__main__":
    import django

    django.setup()
    for row in measure(sys.argv[1]):
        print(json.dumps(row, ensure_ascii=False))
