"""HTTP intake throughput and tail latency: POST /api/cases against the same server's /healthz.

The real server (`yiwang serve --no-background`, gunicorn sync workers) runs on 127.0.0.1 on a
throwaway database (a temporary SQLite file, and also a database created for the run on the
PostgreSQL server named by YIWANG_BENCH_DATABASE_URL), with a small region tree, a grid worker
and an API token. A small asyncio client holds CONNECTIONS connections open (gunicorn's sync
workers close each one after its response; the client reconnects, and the latency of a request
includes that connect) and keeps each busy for the measured seconds:
- baseline: GET /healthz, the same server's trivial endpoint (one COUNT query);
- ours: POST /api/cases with a Bearer token, channel grid_worker, a point in the grid: the whole
  intake (token, validation, point-to-grid lookup, routing, deadlines, the case, its number, its
  routing decision and report event, the worker's points, the notification task in the same transaction).
intake_cases_per_s = acknowledged (201) intakes per second, ratio against the /healthz rate (on SQLite;
PostgreSQL runs add "@postgresql" to both names);
intake_p99_ms = the 99th percentile of intake latency, ratio against /healthz's p99.
Targets (issue 20): intake at least a quarter of the trivial rate, p99 at most 100 ms, at 12 connections on
3 sync workers. Where the time goes: bench/intake_breakdown.py.

The historic case import benchmark (bench/case_import.py) runs after, when it is there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import emit, metric

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 12
# `yiwang serve`'s own default (YIWANG_WORKERS, else 3) unless YIWANG_BENCH_WORKERS says otherwise.
WORKERS = int(os.environ.get("YIWANG_BENCH_WORKERS") or os.environ.get("YIWANG_WORKERS") or 3)
POINT = (108.302, 31.105)  # inside the grid below

# Run in a child with the server's environment: migrate, then district → street → community →
# grid, the grid's worker and an API token for it (printed as the last line).
SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from yiwang.accounts.models import User
from yiwang.accounts.services import issue_token
from yiwang.regions.models import Level, Region

def rect(lon0, lat0, lon1, lat1):
    import json
    return json.dumps({"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]})

district = Region.objects.create(level=Level.DISTRICT, code="500154", name="开州区", boundary=rect(108.30, 31.10, 108.50, 31.30))
street = Region.objects.create(parent=district, level=Level.STREET, code="500154003000", name="云枫街道", boundary=rect(108.30, 31.10, 108.40, 31.20))
community = Region.objects.create(parent=street, level=Level.COMMUNITY, code="500154003001", name="永先社区", boundary=rect(108.30, 31.10, 108.32, 31.11))
grid = Region.objects.create(parent=community, level=Level.GRID, grid_kind="regular", code="500154003001001", name="永先社区第1网格",
                             boundary=rect(108.30, 31.10, 108.31, 31.11))
worker = User.objects.create_user(username="bench-worker", password="Yiwang-bench-2026", role="grid_worker", scope_region=grid)
admin = User.objects.create_superuser("bench-admin", password="Yiwang-bench-2026")
print(issue_token(user=worker, name="intake benchmark", acting_user=admin)[1])
"""


def measure(*, quick: bool) -> list[dict]:
    from bench.person_import import _throwaway_postgres

    seconds, warmup = (3.0, 1.0) if quick else (10.0, 3.0)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(YIWANG_SQLITE_PATH=str(Path(tmp) / "intake.sqlite3"), YIWANG_MEDIA_ROOT=str(Path(tmp) / "media"))
        results += _measure_server(env, "sqlite", seconds=seconds, warmup=warmup)

        url = os.environ.get("YIWANG_BENCH_DATABASE_URL", "")
        if urlsplit(url).scheme in {"postgres", "postgresql"}:
            with _throwaway_postgres(url) as bench_url:
                results += _measure_server(dict(env, DATABASE_URL=bench_url), "postgresql", seconds=seconds, warmup=warmup)
    return results


def main(quick: bool = False) -> None:
    for row in measure(quick=quick):
        emit(row)
    try:
        from bench import case_import
    except ImportError:
        print("intake: bench/case_import.py is not there; historic import metrics skipped", file=sys.stderr)
        return
    for row in case_import.measure(quick=quick):
        emit(row)


def _measure_server(env: dict[str, str], vendor: str, *, seconds: float, warmup: float) -> list[dict]:
    env = dict(env, DJANGO_SETTINGS_MODULE="yiwang.settings", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"intake benchmark setup failed:\n{done.stderr[-4000:]}")
    token = done.stdout.split()[-1]
    port = _free_port()
    with _server(env, port):
        trivial_request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        intake_requests = [_intake_request(port, token, i) for i in range(100)]
        asyncio.run(_load([trivial_request], port, warmup))
        asyncio.run(_load(intake_requests, port, warmup))
        trivial = asyncio.run(_load([trivial_request], port, seconds))
        intake = asyncio.run(_load(intake_requests, port, seconds))
    for name, run, expected in (("/healthz", trivial, 200), ("POST /api/cases", intake, 201)):
        wrong = {status: n for status, n in run.statuses.items() if status != expected}
        if wrong:
            raise RuntimeError(f"intake benchmark: {name} answered {wrong} besides {expected}")
    print(f"intake@{vendor}: {WORKERS} workers, {CONNECTIONS} connections, {seconds:.0f} s each: "
          f"/healthz {trivial.rate:.0f}/s p50 {trivial.percentile(50):.1f} ms p99 {trivial.percentile(99):.1f} ms; "
          f"intake {intake.rate:.0f}/s p50 {intake.percentile(50):.1f} ms p99 {intake.percentile(99):.1f} ms", file=sys.stderr)
    setting = f"{CONNECTIONS} connections, gunicorn {WORKERS} sync workers, {vendor}"
    # The names are for the embedded default (SQLite); other databases carry a suffix.
    suffix = "" if vendor == "sqlite" else f"@{vendor}"
    return [
        metric(f"intake_cases_per_s{suffix}", intake.rate, "cases/s",
               baseline=f"GET /healthz on the same server ({setting})", baseline_value=trivial.rate),
        metric(f"intake_p99_ms{suffix}", intake.percentile(99), "ms",
               baseline=f"p99 of GET /healthz on the same server ({setting})", baseline_value=trivial.percentile(99)),
    ]  # fmt: skip


def _intake_request(port: int, token: str, i: int) -> bytes:
    body = json.dumps({"matter": "community-S0001", "channel": "grid_worker", "lon": POINT[0] + (i % 50) * 1e-5, "lat": POINT[1],
                       "description": f"楼道堆物 {i}", "address": f"永先路{i}号"}, ensure_ascii=False).encode()
    head = (f"POST /api/cases HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class Run:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.elapsed = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000 if ordered else float("nan")


async def _load(requests: list[bytes], port: int, seconds: float) -> Run:
    """CONNECTIONS clients, each sending the requests round-robin, one at a time, for `seconds`."""
    run = Run()
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(_client(requests, port, deadline, run, offset) for offset in range(CONNECTIONS)))
    run.elapsed = time.perf_counter() - start
    return run


async def _client(requests: list[bytes], port: int, deadline: float, run: Run, offset: int) -> None:
    reader = writer = None
    i = offset
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(requests[i % len(requests)])
        i += 1
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:] if line)}
        await reader.readexactly(int(fields.get("content-length", "0")))
        run.latencies.append(time.perf_counter() - began)
        run.statuses[status] = run.statuses.get(status, 0) + 1
        if fields.get("connection", "").lower() == "close":
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


@contextlib.contextmanager
def _server(env: dict[str, str], port: int):
    server = subprocess.Popen([sys.executable, "-m", "yiwang.manage", "serve", "--no-background", "--workers", str(WORKERS), "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the benchmark server did not start") from None
                time.sleep(0.2)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
