"""Where an intake's time goes (issue: measure first): the same POST /api/cases as `bench intake`, made
in one process through Django's test client on a throwaway database (SQLite, and PostgreSQL when
YIWANG_BENCH_DATABASE_URL names a server), one at a time, so that nothing waits for a lock:
- intake_queries[@postgresql]: statements per intake (baseline: GET /healthz's);
- intake_statements_in_transaction[@postgresql]: of them, those inside the write transaction (on SQLite
  the time between BEGIN IMMEDIATE and COMMIT is time every other writer waits);
- intake_transaction_ms[@postgresql]: median time from the transaction's first statement to its commit;
- intake_request_ms[@postgresql]: median time of the whole request (baseline: GET /healthz's);
- rollup_fold_rows_per_s[@postgresql]: the rollups' delta rows the worker folds per second (`rollups.fold_all`
  over what the intakes left), against the intakes per second made one at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import emit, metric

ROOT = Path(__file__).resolve().parent.parent

# Run in a child with the benchmark database's environment; prints one JSON line.
CHILD = """
import json, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.db.backends.base import base as backend
from django.test import Client

exec(sys.argv[1])  # bench.intake.SETUP, with its token kept in TOKEN
N = int(sys.argv[2])
state = {"queries": 0, "in_transaction": 0, "began": None, "transactions": []}

def count(execute, sql, params, many, context):
    if state["began"] is None and not connection.get_autocommit() or sql.startswith("BEGIN"):
        state["began"] = time.perf_counter()
    state["queries"] += 1
    state["in_transaction"] += state["began"] is not None
    return execute(sql, params, many, context)

commit = backend.BaseDatabaseWrapper._commit
def timed_commit(self):
    try:
        return commit(self)
    finally:
        if state["began"] is not None:
            state["transactions"].append(time.perf_counter() - state["began"])
            state["began"] = None
backend.BaseDatabaseWrapper._commit = timed_commit

client = Client()
def intake(i):
    body = {"matter": "community-S0001", "channel": "grid_worker", "lon": 108.302 + (i % 50) * 1e-5, "lat": 31.105,
            "description": f"楼道堆物 {i}", "address": f"永先路{i}号"}
    answer = client.post("/api/cases", json.dumps(body, ensure_ascii=False), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 201, answer.content
def healthz(i):
    assert client.get("/healthz").status_code == 200

result = {}
for name, request in (("healthz", healthz), ("intake", intake)):
    for i in range(30):
        request(i)
    state.update(queries=0, in_transaction=0, began=None, transactions=[])
    times = []
    with connection.execute_wrapper(count):
        for i in range(N):
            began = time.perf_counter()
            request(i)
            times.append(time.perf_counter() - began)
    result[name] = {"queries": state["queries"] / N, "in_transaction": state["in_transaction"] / N,
                    "transaction_ms": statistics.median(state["transactions"]) * 1000 if state["transactions"] else 0.0,
                    "request_ms": statistics.median(times) * 1000}
from yiwang.cases import rollups
from yiwang.cases.models import RollupDelta
pending = RollupDelta.objects.count()
began = time.perf_counter()
folded = rollups.fold_all()
result["fold"] = {"rows": folded, "pending": pending, "seconds": time.perf_counter() - began}
print(json.dumps(result))
"""


def measure(*, quick: bool) -> list[dict]:
    from bench.intake import SETUP
    from bench.person_import import _throwaway_postgres

    setup = SETUP.replace("print(issue_token(", "TOKEN = (issue_token(")
    count = 100 if quick else 500
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(YIWANG_SQLITE_PATH=str(Path(tmp) / "breakdown.sqlite3"), YIWANG_MEDIA_ROOT=str(Path(tmp) / "media"),
                   DJANGO_SETTINGS_MODULE="yiwang.settings", PYTHONPATH=str(ROOT))
        rows += _rows(_run(env, setup, count), "sqlite")
        url = os.environ.get("YIWANG_BENCH_DATABASE_URL", "")
        if urlsplit(url).scheme in {"postgres", "postgresql"}:
            with _throwaway_postgres(url) as bench_url:
                rows += _rows(_run(dict(env, DATABASE_URL=bench_url), setup, count), "postgresql")
    return rows


def main(quick: bool = False) -> None:
    for row in measure(quick=quick):
        emit(row)


def _run(env: dict, setup: str, count: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, setup, str(count)], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"intake breakdown failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rows(result: dict, vendor: str) -> list[dict]:
    suffix = "" if vendor == "sqlite" else f"@{vendor}"
    ours, trivial = result["intake"], result["healthz"]
    baseline = f"GET /healthz in the same process ({vendor}, Django's test client, one request at a time)"
    return [
        metric(f"intake_queries{suffix}", ours["queries"], "statements", baseline=baseline, baseline_value=trivial["queries"]),
        metric(f"intake_statements_in_transaction{suffix}", ours["in_transaction"], "statements",
               baseline=f"all the intake's statements ({vendor})", baseline_value=ours["queries"]),
        metric(f"intake_transaction_ms{suffix}", ours["transaction_ms"], "ms",
               baseline=f"the whole intake request ({vendor}, median)", baseline_value=ours["request_ms"]),
        metric(f"intake_request_ms{suffix}", ours["request_ms"], "ms", baseline=baseline, baseline_value=trivial["request_ms"]),
        # The worker must fold faster than intakes come: deltas folded per second against intakes per second.
        metric(f"rollup_fold_rows_per_s{suffix}", result["fold"]["rows"] / result["fold"]["seconds"], "rows/s",
               baseline=f"intakes per second, one at a time ({vendor})", baseline_value=1000 / ours["request_ms"]),
    ]
