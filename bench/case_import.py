"""Historic case import speed: rows per second of `import_cases` on the LA 2017 and SF 5k 311 files.

The two files hold 1,366 rows, too few to time an import by (its fixed costs would be most of
it), so each is written out again `COPIES` times (6 with --quick) with every source ID made
unique per copy: 55,000 rows, real cells.

As in bench/person_import.py, each database runs in a child process on a throwaway database (a
temporary SQLite file, or a database created for the run on the PostgreSQL server named by
YIWANG_BENCH_DATABASE_URL). The baseline, measured in the same child, is the database alone: the
very rows our import wrote (the cases and their one import event each), read back and inserted
again by the database's fastest bare path (executemany on SQLite, COPY on PostgreSQL), with no
reading, parsing, checking, routing, numbering or rollups. Our figure includes the rollups. The
ratio shows what all of that costs on top.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import emit, metric

ROOT = Path(__file__).resolve().parent.parent
SR311 = ROOT / "data" / "sr311"
# preset, file, its source ID column
FILES = [("la2017", "la/myla311_2017_subset.csv", "SRNumber"), ("sf5k", "sf/sf311_cases_sample_5k_geo.csv", "CaseID")]
GRID = "500154003001001"
BATCH = 2000
COPIES = 40


def measure(*, quick: bool) -> list[dict]:
    from bench.person_import import _throwaway_postgres

    repeat = 1 if quick else 3
    results = []
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as tmp:
        files = write_copies(Path(tmp), 6 if quick else COPIES)
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["YIWANG_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
        rows, ours, base = _run_child(env, repeat, files)
        results.append(metric("case_import_rows_per_s@sqlite", ours, "rows/s",
                              baseline=f"executemany INSERT of the same {rows} case rows and their {rows} event rows, already built (sqlite3, batches of {BATCH})",
                              baseline_value=base))  # fmt: skip

        url = os.environ.get("YIWANG_BENCH_DATABASE_URL", "")
        if urlsplit(url).scheme in {"postgres", "postgresql"}:
            with _throwaway_postgres(url) as bench_url:
                rows, ours, base = _run_child(dict(os.environ, DATABASE_URL=bench_url), repeat, files)
            results.append(metric("case_import_rows_per_s@postgresql", ours, "rows/s",
                                  baseline=f"COPY of the same {rows} case rows and their {rows} event rows, already built (psycopg 3)",
                                  baseline_value=base))  # fmt: skip
    return results


def write_copies(directory: Path, copies: int) -> Path:
    """Each file written `copies` times into `directory`, source IDs suffixed by the copy's number."""
    for name, path, id_column in FILES:
        with (SR311 / path).open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = list(reader)
        at = header.index(id_column)
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(header)
            for copy in range(copies):
                for row in rows:
                    out.writerow([*row[:at], f"{row[at]}-{copy}", *row[at + 1 :]])
    return directory


def main(quick: bool = False) -> None:
    for row in measure(quick=quick):
        emit(row)


def _run_child(env: dict[str, str], repeat: int, files: Path) -> tuple[int, float, float]:
    env = dict(env, DJANGO_SETTINGS_MODULE="yiwang.settings", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "bench.case_import", str(repeat), str(files)], cwd=ROOT, env=env, capture_output=True,
                          text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"case import benchmark failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["rows"], result["ours"], result["baseline"]


# --- the child process ---------------------------------------------------------------------------


def _child(repeat: int, files: Path) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.person_import import _make_regions
    from yiwang.cases.importing import import_cases, preset
    from yiwang.cases.models import Case, CaseEvent, CaseRollup, OpenCaseRollup

    call_command("migrate", verbosity=0, skip_checks=True)
    _make_regions()
    quote = connection.ops.quote_name
    models = (CaseEvent, Case, CaseRollup, OpenCaseRollup)
    tables = ", ".join(quote(m._meta.db_table) for m in models)

    def empty() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {tables} CASCADE")  # a throwaway database
            else:
                for model in models:
                    cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")

    def ours() -> tuple[int, float]:
        empty()
        start = time.perf_counter()
        created = sum(import_cases(files / f"{name}.csv", mapping=preset(name), region=GRID).created for name, _, _ in FILES)
        return created, created / (time.perf_counter() - start)

    rows, best_ours = ours()
    # The rows the import wrote, as the database hands them back: the baseline inserts exactly these.
    written = []
    for model in (Case, CaseEvent):  # cases first: events name them
        columns = [f.column for f in model._meta.concrete_fields]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)}")
            values = cursor.fetchall()
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            values = [tuple(Jsonb(v) if isinstance(v, dict) else v for v in row) for row in values]
        written.append((f"{quote(model._meta.db_table)} ({', '.join(map(quote, columns))})", len(columns), values))

    def baseline() -> float:
        empty()
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for target, width, values in written:
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                        for row in values:
                            copy.write_row(row)
                else:
                    sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * width)})"
                    for offset in range(0, len(values), BATCH):
                        cursor.executemany(sql, values[offset : offset + BATCH])
        return rows / (time.perf_counter() - start)

    best_base = baseline()
    for _ in range(repeat - 1):
        best_ours = max(best_ours, ours()[1])
        best_base = max(best_base, baseline())
    empty()
    return {"rows": rows, "ours": best_ours, "baseline": best_base}


if __name__ == "__main__":
    print(json.dumps(_child(int(sys.argv[1]), Path(sys.argv[2]))))
