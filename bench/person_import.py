"""Person import speed: rows per second of `import_persons` on a CSV of valid synthetic residents.

Each database runs in a child process on a throwaway database (a temporary SQLite file, or a
database created for the run on the PostgreSQL server named by YIWANG_BENCH_DATABASE_URL), so the
caller's own database is never touched. The baseline, measured in the same child on the same
table, inserts the same rows already sealed with no validation at all: it is what the database
alone costs, and the ratio shows how much our reading, checking and sealing add on top.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import emit, metric

ROOT = Path(__file__).resolve().parent.parent
GRIDS = ["500154003001001", "500154003001002", "500154003001003", "500154003001004"]
REPEAT = 2
BATCH = 2000


def measurements(*, quick: bool) -> list[dict]:
    rows = 20_000 if quick else 100_000
    results = []
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as tmp:
        source = Path(tmp) / "persons.csv"
        write_csv(source, rows)

        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["YIWANG_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
        ours, base = _run_child(source, env)
        results.append(metric("person_import_rows_per_s@sqlite", ours, "rows/s",
                              baseline=f"executemany INSERT of the same {rows} rows, pre-sealed, no validation (sqlite3 defaults, batches of {BATCH})",
                              baseline_value=base))  # fmt: skip

        url = os.environ.get("YIWANG_BENCH_DATABASE_URL", "")
        if urlsplit(url).scheme in {"postgres", "postgresql"}:
            with _throwaway_postgres(url) as bench_url:
                env = dict(os.environ, DATABASE_URL=bench_url)
                ours, base = _run_child(source, env)
            results.append(metric("person_import_rows_per_s@postgresql", ours, "rows/s",
                                  baseline=f"COPY of the same {rows} rows, pre-sealed, no validation (psycopg 3)",
                                  baseline_value=base))  # fmt: skip
    return results


def main(quick: bool = False) -> None:
    """`yiwang bench person_import [--quick]`: these metrics alone (bench/foundation.py runs them too)."""
    for row in measurements(quick=quick):
        emit(row)


def id_number(i: int) -> str:
    """A valid, unique ID number for row i: 1000 sequence numbers per birth day from 1940."""
    from yiwang.registry.validators import id_check_char

    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=i // 1000)
    body = f"500154{birth:%Y%m%d}{i % 1000:03d}"
    return body + id_check_char(body)


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["姓名", "身份证号", "联系电话", "人口类型", "网格编码", "重点人群", "现住址"])
        for i in range(rows):
            out.writerow([
                f"测试{i}", id_number(i), f"13{i % 7 + 3}{i:08d}", "流动" if i % 4 == 0 else "户籍",
                GRIDS[i % len(GRIDS)], "独居老人" if i % 50 == 0 else "", f"永先路{i % 300}号{i % 40}栋",
            ])  # fmt: skip


def _run_child(source: Path, env: dict[str, str]) -> tuple[float, float]:
    env = dict(env, DJANGO_SETTINGS_MODULE="yiwang.settings", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "bench.person_import", str(source)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"person import benchmark failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["ours"], result["baseline"]


@contextlib.contextmanager
def _throwaway_postgres(url: str):
    """A database created on the given server for this run and dropped after it."""
    import psycopg

    name = f"yiwang_bench_{os.getpid()}_{secrets.token_hex(4)}"
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the child process ---------------------------------------------------------------------------


def _child(source: Path) -> dict[str, float]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from yiwang.core import crypto
    from yiwang.registry.importing.persons import WRITTEN_FIELDS as _PERSON_COLUMNS_SQL
    from yiwang.registry.importing.persons import import_persons
    from yiwang.registry.importing.persons import written_columns as _person_columns
    from yiwang.registry.models import Person

    call_command("migrate", verbosity=0, skip_checks=True)
    regions = _make_regions()

    def empty() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("TRUNCATE registry_persontag, registry_person CASCADE")  # a throwaway database
            else:
                cursor.execute("DELETE FROM registry_persontag")
                cursor.execute("DELETE FROM registry_person")

    with source.open(encoding="utf-8", newline="") as f:
        lines = list(csv.DictReader(f))
    count = len(lines)

    # Baseline rows: the columns the import writes, sealed beforehand.
    now = timezone.now()
    residence = {"户籍": "registered", "流动": "floating"}
    sealed = []
    for line in lines:
        number, phone = line["身份证号"], line["联系电话"]
        birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        values = {
            "name": line["姓名"], "gender": "M" if int(number[16]) % 2 else "F", "birth_date": birth,
            "id_number_sealed": crypto.encrypt(number), "id_number_digest": crypto.digest(number),
            "phone_sealed": crypto.encrypt(phone), "phone_digest": crypto.digest(phone),
            "residence_type": residence[line["人口类型"]], "household_id": None, "is_household_head": False,
            "address": line["现住址"], "created_at": now, "region_id": regions[line["网格编码"]],
        }  # fmt: skip
        sealed.append(tuple(values[name] for name in _PERSON_COLUMNS_SQL))

    quote = connection.ops.quote_name
    columns = ", ".join(map(quote, _person_columns()))

    def baseline() -> float:
        empty()
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quote(Person._meta.db_table)} ({columns}) FROM STDIN") as copy:
                    for row in sealed:
                        copy.write_row(row)
            else:
                sql = f"INSERT INTO {quote(Person._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(_PERSON_COLUMNS_SQL))})"
                stamp = connection.ops.adapt_datetimefield_value(now)
                at = _PERSON_COLUMNS_SQL.index("created_at")
                rows = [row[:at] + (stamp,) + row[at + 1 :] for row in sealed]
                for offset in range(0, count, BATCH):
                    cursor.executemany(sql, rows[offset : offset + BATCH])
        return count / (time.perf_counter() - start)

    def ours() -> float:
        empty()
        start = time.perf_counter()
        report = import_persons(source=source, progress=False)
        elapsed = time.perf_counter() - start
        if report.created != count:
            raise RuntimeError(f"imported {report.created} of {count} rows")
        return count / elapsed

    best_ours = best_base = 0.0
    for _ in range(REPEAT):
        best_base = max(best_base, baseline())
        best_ours = max(best_ours, ours())
    empty()
    return {"ours": best_ours, "baseline": best_base}


def _make_regions() -> dict[str, int]:
    from yiwang.regions.models import Level, Region

    district = Region.objects.create(level=Level.DISTRICT, code="500154", name="开州区")
    street = Region.objects.create(parent=district, level=Level.STREET, code="500154003000", name="云枫街道")
    community = Region.objects.create(parent=street, level=Level.COMMUNITY, code="500154003001", name="永先社区")
    return {
        code: Region.objects.create(parent=community, level=Level.GRID, code=code, name=f"永先社区第{n}网格").pk
        for n, code in enumerate(GRIDS, start=1)
    }


if __name__ == "__main__":
    print(json.dumps(_child(Path(sys.argv[1]))))
