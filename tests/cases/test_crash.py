"""A crash in the middle of a burst of intakes loses nothing that was acknowledged and leaves
nothing half-written.

The real server (`yiwang serve`, gunicorn with two workers) runs on a fresh SQLite file, the
embedded default, whichever database the rest of the suite runs on. Eight threads post grid-worker
reports through POST /api/cases with a Bearer token; once enough have been acknowledged (201 with a
case number) the whole server process group is killed with SIGKILL while requests are still in
flight. The server is started again on the same file, and then:
- every acknowledged number is there (GET /api/cases/{number} → 200, with its report event);
- every case in the database has its number, its "report" event, its routing decision and the
  grid worker's report points (one intake transaction: all of it or none of it);
- numbers are unique, and the restarted server takes new reports;
- the rollups, folded by the first server's background worker until the kill and then by a child
  for what it left, equal a recount of the cases: no count lost or doubled.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

from tests.servers import free_port, start_server, stop_server

from .conftest import POINT_A

THREADS = 8
KILL_AFTER = 40  # acknowledged intakes before the kill

# Run in a child with the server's environment: migrate the fresh file, then district → street →
# community → grid, the grid's worker, and an API token for that worker, printed as the last line.
SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from yiwang.accounts.models import User
from yiwang.accounts.services import issue_token
from yiwang.regions.models import Level, Region
from tests.conftest import rect

district = Region.objects.create(level=Level.DISTRICT, code="500154", name="开州区", boundary=rect(108.30, 31.10, 108.50, 31.30))
street = Region.objects.create(parent=district, level=Level.STREET, code="500154003000", name="云枫街道", boundary=rect(108.30, 31.10, 108.40, 31.20))
community = Region.objects.create(parent=street, level=Level.COMMUNITY, code="500154003001", name="永先社区", boundary=rect(108.30, 31.10, 108.32, 31.11))
grid = Region.objects.create(parent=community, level=Level.GRID, grid_kind="regular", code="500154003001001", name="永先社区第1网格",
                             boundary=rect(108.30, 31.10, 108.31, 31.11))
worker = User.objects.create_user(username="worker", password="Yiwang-test-2026", role="grid_worker", scope_region=grid)
admin = User.objects.create_superuser("admin", password="Yiwang-test-2026")
token, raw = issue_token(user=worker, name="crash test", acting_user=admin)
print(raw)
"""


def _start(env: dict, port: int, log, *, background: bool = False) -> subprocess.Popen:
    return start_server(port=port, env=env, log=log, options=("--workers", "2", *(() if background else ("--no-background",))))


# After the crash, in a child: fold what the killed worker left, then the rollups must equal a recount.
CHECK_ROLLUPS = """
import django
django.setup()
from yiwang.cases import rollups
from yiwang.cases.models import CaseRollup, OpenCaseRollup

def state():
    counts = sorted(r for r in CaseRollup.objects.values_list("region", "grain", "period", "board", "department_key", *rollups.COUNTS) if any(r[5:]))
    opened = sorted(OpenCaseRollup.objects.values_list("region", "board", "department_key", "reported_on", "due_on", "open_cases", "flagged"))
    return counts, opened

rollups.fold_all()
kept = state()
counted = rollups.rebuild()
assert state() == kept, "the rollups lost or doubled a count"
print(counted)
"""


def _wait_for_fold(database, timeout: float = 90) -> None:
    """Until the background worker has folded every delta row there is (it has started and works)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
            pending = db.execute("SELECT COUNT(*) FROM cases_rollupdelta").fetchone()[0]
            folded = db.execute("SELECT COUNT(*) FROM cases_caserollup").fetchone()[0]
        if not pending and folded:
            return
        time.sleep(0.2)
    raise AssertionError("the background worker never folded the rollups' delta rows")


def _report(i: int) -> bytes:
    lon, lat = POINT_A[0] + (i % 50) * 1e-5, POINT_A[1]
    return json.dumps({"matter": "community-S0001", "channel": "grid_worker", "lon": lon, "lat": lat, "description": f"崩溃测试 {i}"}).encode()


def _burst(port: int, token: str, acknowledged: list[str], enough: threading.Event, stop: threading.Event):
    """Start the posting threads; returns them and the list their unexpected answers go to."""
    errors: list[BaseException] = []
    lock = threading.Lock()
    counter = iter(range(10**9))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop.is_set():
            with lock:
                i = next(counter)
            try:
                connection.request("POST", "/api/cases", body=_report(i), headers=headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                return  # the server is gone: whatever was in flight was never acknowledged
            if response.status != 201:
                errors.append(AssertionError(f"intake {i}: HTTP {response.status} {body[:300]!r}"))
                return
            with lock:
                acknowledged.append(json.loads(body)["number"])
                if len(acknowledged) >= KILL_AFTER:
                    enough.set()

    threads = [threading.Thread(target=post, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    return threads, errors


def test_kill_9_mid_burst_loses_no_acknowledged_case(tmp_path):
    database = tmp_path / "crash.sqlite3"
    env = {**os.environ, "YIWANG_SQLITE_PATH": str(database), "YIWANG_MEDIA_ROOT": str(tmp_path / "media"),
           "DJANGO_SETTINGS_MODULE": "yiwang.settings"}
    env.pop("DATABASE_URL", None)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    token = subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=root, check=True, capture_output=True, text=True).stdout.split()[-1]

    port = free_port()
    log = tmp_path / "serve.log"
    # With its background worker folding the rollups' deltas as fast as it can: the kill finds it
    # folding, or between two folds.
    server = _start(dict(env, YIWANG_FOLD_SECONDS="0.02"), port, log, background=True)
    acknowledged: list[str] = []
    enough, stop = threading.Event(), threading.Event()
    try:
        first = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        first.request("POST", "/api/cases", body=_report(10**6), headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert first.getresponse().status == 201
        _wait_for_fold(database)
        threads, errors = _burst(port, token, acknowledged, enough, stop)
        assert enough.wait(timeout=120), f"only {len(acknowledged)} intakes acknowledged; errors: {errors[:3]}"
    finally:
        stop_server(server, signal.SIGKILL)  # SIGKILL, mid-burst: the threads are still posting
        stop.set()
    for thread in threads:
        thread.join(timeout=35)
    assert not errors, errors[:3]
    acked = list(acknowledged)  # nothing can be added any more
    assert len(acked) >= KILL_AFTER and len(set(acked)) == len(acked), "a number was acknowledged twice"

    server = _start(env, port, log)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for number in acked:
            connection.request("GET", f"/api/cases/{number}", headers=headers)
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200, f"acknowledged case {number} is gone: HTTP {response.status}"
            assert [event["action"] for event in json.loads(body)["events"]][:1] == ["report"]
        # The restarted server takes new reports.
        connection.request("POST", "/api/cases", body=_report(0), headers={**headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        after = json.loads(response.read())
        assert response.status == 201 and after["number"] not in acked, after
    finally:
        stop_server(server, signal.SIGKILL)

    with contextlib.closing(sqlite3.connect(database)) as db:
        cases = db.execute("SELECT id, number FROM cases_case").fetchall()
        numbers = [number for _, number in cases]
        assert None not in numbers and len(set(numbers)) == len(numbers)
        assert set(acked) | {after["number"]} <= set(numbers)
        parts = [("cases_caseevent", "action = 'report'"), ("cases_routingdecision", "1 = 1"), ("points_pointentry", "event = 'reported'")]
        for table, condition in parts:
            missing = db.execute(f"SELECT id FROM cases_case c WHERE NOT EXISTS "
                                 f"(SELECT 1 FROM {table} t WHERE t.case_id = c.id AND {condition})").fetchall()
            assert not missing, f"{len(missing)} of {len(cases)} cases have no {table} row ({condition}): half-written intakes"
        assert db.execute("SELECT COUNT(*) FROM cases_caseevent WHERE action = 'report'").fetchone()[0] == len(cases)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # No count lost or doubled: what the worker folded before the kill, plus the deltas it left, is a recount.
    recounted = subprocess.run([sys.executable, "-c", CHECK_ROLLUPS], env=env, cwd=root, capture_output=True, text=True)
    assert recounted.returncode == 0, recounted.stderr[-3000:]
    assert int(recounted.stdout.split()[-1]) == len(cases)
