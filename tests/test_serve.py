"""The real server: `yiwang migrate` then `yiwang serve` (gunicorn) on a fresh SQLite file, the
embedded default, whichever database the rest of the suite runs on."""

import json
import os
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
    server = subprocess.Popen([*yiwang, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
    finally:
        server.terminate()
        server.wait(timeout=10)
