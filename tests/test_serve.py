"""The real server: `yiwang migrate` then `yiwang serve` (gunicorn) on a fresh SQLite file, the
embedded default, whichever database the rest of the suite runs on."""

import json
import os
import subprocess
import sys
import time
import urllib.request

from tests.servers import free_port, start_server, stop_server, tail


def test_serve_answers_healthz_and_static_assets(tmp_path):
    env = {**os.environ, "YIWANG_SQLITE_PATH": str(tmp_path / "serve.sqlite3"), "YIWANG_WORKERS": "1"}
    env.pop("DATABASE_URL", None)
    yiwang = [sys.executable, "-m", "yiwang.manage"]
    subprocess.run([*yiwang, "migrate", "--no-input"], env=env, check=True, capture_output=True)
    log = tmp_path / "serve.log"
    server = start_server(port=(port := free_port()), env=env, log=log)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            body = json.load(response)
        assert body == {"status": "ok", "database": "sqlite", "regions": 0}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/leaflet/leaflet.js", timeout=5) as response:
            assert response.status == 200 and b"Leaflet" in response.read(2000)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
            assert "登录" in response.read().decode()
        # The background worker started beside gunicorn has run the deadline sweep.
        assert _wait_for_sweep(tmp_path / "serve.sqlite3"), f"the background worker never ran the deadline sweep; output:\n{tail(log)}"
    finally:
        stop_server(server)


def _wait_for_sweep(path, timeout: float = 90.0) -> bool:
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(path) as db:
            done = db.execute("select count(*) from django_tasks_database_dbtaskresult where task_path like '%sweep_deadlines' and status = 'SUCCESSFUL'").fetchone()[0]
        if done:
            return True
        time.sleep(0.5)
    return False
