"""The real server: `yiwang migrate` then `yiwang serve` (gunicorn) on a fresh SQLite file, the
embedded default, whichever database the rest of the suite runs on."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_healthz_and_static_assets(tmp_path):
    env = {**os.environ, "YIWANG_SQLITE_PATH": str(tmp_path / "serve.sqlite3"), "YIWANG_WORKERS": "1"}
    env.pop("DATABASE_URL", None)
    yiwang = [sys.executable, "-m", "yiwang.manage"]
    subprocess.run([*yiwang, "migrate", "--no-input"], env=env, check=True, capture_output=True)
    port = _free_port()
    # Its own session, so that stopping it also stops the background worker it starts.
    server = subprocess.Popen([*yiwang, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert body == {"status": "ok", "database": "sqlite", "regions": 0}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/leaflet/leaflet.js", timeout=5) as response:
            assert response.status == 200 and b"Leaflet" in response.read(2000)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
            assert "登录" in response.read().decode()
        # The background worker started beside gunicorn has run the deadline sweep.
        assert _wait_for_sweep(tmp_path / "serve.sqlite3"), "the background worker never ran the deadline sweep"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


def _wait_for_sweep(path, timeout: float = 30.0) -> bool:
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(path) as db:
            done = db.execute("select count(*) from django_tasks_database_dbtaskresult where task_path like '%sweep_deadlines' and status = 'SUCCESSFUL'").fetchone()[0]
        if done:
            return True
        time.sleep(0.5)
    return False
