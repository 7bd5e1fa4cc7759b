"""The real server for tests that start `yiwang serve` in a child process: a free port, a start in
its own session (so one signal reaches gunicorn's master, its workers and the background worker),
and a wait for /healthz that says what the server printed when it never answers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# Generous: `make test` runs three suites side by side on two cores, and a cold start there
# (Django, gunicorn --preload, the worker) has taken over 30 s.
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*, port: int, env: dict, log: Path, options: tuple[str, ...] = ()) -> subprocess.Popen:
    """`yiwang serve` on 127.0.0.1:port, returned once /healthz answers 200. Its output goes to log
    (appended, so a restart keeps the first run's)."""
    with log.open("ab") as log_file:
        server = subprocess.Popen([sys.executable, "-m", "yiwang.manage", "serve", "--port", str(port), *options],
                                  env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError as error:
            if time.monotonic() > deadline or server.poll() is not None:
                stop_server(server, signal.SIGKILL)
                raise AssertionError(f"yiwang serve never answered /healthz ({error}); it printed:\n{tail(log)}") from error
        time.sleep(0.2)


def stop_server(server: subprocess.Popen, sig: signal.Signals = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, sig)
    server.wait(timeout=10)


def tail(log: Path, size: int = 3000) -> str:
    return log.read_text(errors="replace")[-size:] if log.exists() else "(nothing)"
