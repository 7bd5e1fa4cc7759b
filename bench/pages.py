"""Every page a role's menu offers, and every request those pages make, timed on the real server.

Data (building it is not measured; a built database is kept and reused, keyed by BUILD_VERSION):
- district_sqlite: `yiwang demo --cases 1000000` on SQLite: the demo district with 云枫街道 in full (its
  registry of 140,000 residents, houses, party, forces) and 1,000,000 historic cases. Kept in
  var/bench/pages/district-sqlite-v{BUILD_VERSION}.sqlite3 beside the checkout (its sealed fields need
  the checkout's own keys, var/secret.key or YIWANG_FIELD_KEY), or the file YIWANG_BENCH_PAGES_SQLITE names.
- city_postgresql (full run only, when YIWANG_BENCH_DATABASE_URL names a PostgreSQL server):
  `yiwang demo --scale 72 --cases 10000000`: 72 云枫-like streets of 140,000 residents each (10,080,000)
  and 10,000,000 cases, built once into the database yiwang_bench_pages_city_v{BUILD_VERSION} on that server
  and kept (a marker file in var/bench/pages/ says it is complete), or the database YIWANG_BENCH_PAGES_POSTGRES names.

The server is `yiwang serve --no-background` (gunicorn sync workers, as bench/intake.py starts it). The
client logs in through the login page (password, then the TOTP code of the demo's second factor) as one
account per role (district, street, community, grid worker, department, resident), takes the links of
the menu it is shown, and for each page also the requests the page makes once loaded: htmx fragments
loaded or polled by themselves (hx-trigger load / every), the JavaScript catalogue, the command screen's
calls (/api/command/cases, key-persons, devices, care, feed), the map's (/api/regions/<code>, children),
the own-data base map's outlines (and buildings when zoomed to one grid), and the report form's grids.
Each is requested REPEAT times, one at a time; redirects are followed and counted in the time.

Rows (ms; the baseline is the p95 of GET /healthz on the same server, one COUNT query):
- page_p95_ms@{data}:{role}:{path}, one per page or call;
- pages_p95_ms_max@{data}: the slowest of those p95s;
- command_screen_ms@{data}: the district's command screen as the browser loads it: the page, then its
  calls at once (six connections, as a browser opens per host); p95 of REPEAT loads;
- export_start_ms@{data}: POST of the district's residents export (/registry/export/persons.xlsx) until
  the job's page answers (the file is written by the background worker, with progress); p95.
Targets: every page ≤ 300 ms, the command screen ≤ 500 ms, the export started ≤ 2 s.

To check one fix: YIWANG_BENCH_PAGES_ROLES=district,street and YIWANG_BENCH_PAGES_ONLY=/cases/inbox/,/analysis/
(path prefixes) narrow the run; the screen and the export are always measured.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import re
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bench.common import emit, metric

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench" / "pages"
# Bump when the data the benchmark builds changes (demo options, or a demo change that matters here).
BUILD_VERSION = 1
DISTRICT = ["--cases", "1000000"]
CITY = ["--scale", "72", "--cases", "10000000"]
WORKERS = int(os.environ.get("YIWANG_BENCH_WORKERS") or os.environ.get("YIWANG_WORKERS") or 3)
BROWSER_CONNECTIONS = 6
# One account per role; the demo's other accounts repeat a role.
ROLE_ACCOUNTS = {"district": "district", "street": "street", "community": "community", "grid_worker": "gridworker1",
                 "department": "department", "resident": "resident"}
# Menu entries that are not pages to time: the admin's own screens and leaving.
SKIPPED_PATHS = ("/admin/", "/logout/")
PAGE_TARGET_MS, SCREEN_TARGET_MS, EXPORT_TARGET_MS = 300, 500, 2000
OWN_BASE_FEATURES_SPAN = 0.03  # degrees: about zoom 16 on a phone, where mapbase.js also asks for buildings


def main(quick: bool = False) -> None:
    for row in measure(quick=quick):
        emit(row)


def measure(*, quick: bool) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    CACHE.mkdir(parents=True, exist_ok=True)
    sqlite_path = os.environ.get("YIWANG_BENCH_PAGES_SQLITE") or str(CACHE / f"district-sqlite-v{BUILD_VERSION}.sqlite3")
    sqlite_env = dict(env, YIWANG_SQLITE_PATH=sqlite_path, YIWANG_MEDIA_ROOT=str(CACHE / "media"))
    if not os.environ.get("YIWANG_BENCH_PAGES_SQLITE"):
        _build_sqlite(sqlite_env, Path(sqlite_path), DISTRICT)
    rows = measure_server(sqlite_env, "district_sqlite", repeat=5 if quick else 20)
    if quick:
        return rows
    built = os.environ.get("YIWANG_BENCH_PAGES_POSTGRES")
    url = os.environ.get("YIWANG_BENCH_DATABASE_URL", "")
    if not built and urlsplit(url).scheme in {"postgres", "postgresql"}:
        built = _build_postgres(env, url, CITY)
    if built:
        rows += measure_server(dict(env, DATABASE_URL=built, YIWANG_MEDIA_ROOT=str(CACHE / "media")), "city_postgresql", repeat=20)
    return rows


# --- building (not measured) ----------------------------------------------------------------------


def _run(env: dict[str, str], args: list[str], *, what: str) -> str:
    env = dict(env, DJANGO_SETTINGS_MODULE="yiwang.settings", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pages benchmark: {what} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def _build_demo(env: dict[str, str], options: list[str], label: str) -> None:
    started = time.perf_counter()
    _run(env, ["-m", "yiwang.manage", "migrate", "-v0"], what="migrate")
    _run(env, ["-m", "yiwang.manage", "demo", "-v0", *options], what="demo " + " ".join(options))
    print(f"pages: built {label} (demo {' '.join(options)}) in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _build_sqlite(env: dict[str, str], path: Path, options: list[str]) -> None:
    """Build into a side file and move it into place only when complete, so a stopped build is never reused."""
    if path.exists():
        return
    building = path.with_name(path.name + ".building")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    _build_demo(dict(env, YIWANG_SQLITE_PATH=str(building)), options, "the district on SQLite")
    # Fold the write-ahead log in, so the one file is the whole database.
    import sqlite3

    with contextlib.closing(sqlite3.connect(building)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    building.rename(path)


def _build_postgres(env: dict[str, str], server_url: str, options: list[str]) -> str:
    import psycopg

    name = f"yiwang_bench_pages_city_v{BUILD_VERSION}"
    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    marker = CACHE / f"city-postgresql-v{BUILD_VERSION}.{parts.hostname}-{parts.port}.built"
    if marker.exists():
        return url
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    _build_demo(dict(env, DATABASE_URL=url), options, "the city on PostgreSQL")
    marker.write_text(name + "\n")
    return url


# --- what the run starts from, read in a child on the server's database ---------------------------------

# Leftover queued exports of the demo accounts (from an earlier run; no worker runs during the benchmark)
# would answer the export request with the old job: they are removed, so the request queues a new one.
PREPARE = """
import django
django.setup()
from yiwang.demo.logins import DEMO_USERNAMES
from yiwang.exports.models import ExportJob, ExportStatus
ExportJob.objects.filter(created_by__username__in=DEMO_USERNAMES, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]).delete()
"""


# --- the client -------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float
    path: str  # where the last redirect ended

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Browser:
    """One signed-in browser: its cookies, one new connection per request (gunicorn's sync workers close them)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None, follow: bool = True) -> Answer:
        started = time.perf_counter()
        for _ in range(10):
            status, answer_headers, body = self._once(method, path, form, headers or {})
            location = answer_headers.get("location")
            if not (follow and status in (301, 302, 303, 307, 308) and location):
                break
            path = urljoin(path, location)
            if urlsplit(path).netloc:
                path = urlunsplit(urlsplit(path)._replace(scheme="", netloc=""))
            if status != 307 and status != 308:
                method, form = "GET", None
        return Answer(status, answer_headers, body, (time.perf_counter() - started) * 1000, path)

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def _once(self, method: str, path: str, form: dict | None, extra: dict) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            headers = {"Accept": "text/html,application/json;q=0.9", "Accept-Language": "zh-CN", **extra}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie_name, _, rest = value.partition("=")
                    cookie_value = rest.split(";", 1)[0]
                    if cookie_value and "max-age=0" not in value.lower():
                        self.cookies[cookie_name.strip()] = cookie_value
                    else:
                        self.cookies.pop(cookie_name.strip(), None)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            connection.close()


def totp(secret: str, *, at: float | None = None) -> str:
    """RFC 6238's six-digit code (SHA-1, 30 s): what the demo's authenticator app would show."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def _csrf_field(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return found.group(1) if found else ""


def log_in(port: int, username: str, password: str, totp_secret: str) -> Browser:
    browser = Browser(port)
    page = browser.get("/login/")
    answer = browser.request("POST", "/login/", form={"username": username, "password": password,
                                                     "csrfmiddlewaretoken": _csrf_field(page.text)})
    if answer.path.endswith("/two-factor/verify/"):
        answer = browser.request("POST", answer.path, form={"code": totp(totp_secret), "csrfmiddlewaretoken": _csrf_field(answer.text)})
    if "sessionid" not in browser.cookies or answer.path.startswith("/login/") or answer.status >= 400:
        raise RuntimeError(f"pages benchmark: {username} could not log in (ended at {answer.path}, {answer.status})")
    return browser


def menu_paths(page: str) -> list[str]:
    """The menu's links as the phone's tab bar lists them (its tabs, then "更多"): every page this user
    may open, "我的" included (tests/test_menu.py keeps the bar equal to web/menu.py's)."""
    bar = page.split('<nav class="tabbar"', 1)[1].split("</nav>", 1)[0] if '<nav class="tabbar"' in page else ""
    paths = [_unescape(href) for href in re.findall(r'<a href="([^"]+)" data-tab', bar)]
    return [p for p in dict.fromkeys(paths) if p.startswith("/") and not p.startswith(SKIPPED_PATHS)]


def _unescape(text: str) -> str:
    """What Django's escaping wrote, undone; html.unescape would also read a bare "&region=" as "®ion="."""
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#x27;", "'"), ("&#39;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def _attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\s{re.escape(name)}="([^"]*)"', tag)
    return _unescape(found.group(1)) if found else None


def _bbox(geojson) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []

    def walk(node):
        if isinstance(node, list) and len(node) >= 2 and all(isinstance(v, (int, float)) for v in node[:2]):
            xs.append(node[0])
            ys.append(node[1])
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key in ("features", "geometry", "coordinates", "geometries"):
                if key in node:
                    walk(node[key])

    walk(geojson)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _own_base_calls(page: str, bbox) -> list[str]:
    """mapbase.js with no tile server draws our own outlines (and buildings when zoomed to about a grid)."""
    tag = next((t for t in re.findall(r"<script[^>]*>", page) if "web/mapbase.js" in t), None)
    if tag is None or _attribute(tag, "data-tile-url") or bbox is None:
        return []
    public = _attribute(tag, "data-audience") == "public"
    west, south, east, north = bbox
    pad_x, pad_y = (east - west) * 0.5, (north - south) * 0.5
    box = ",".join(f"{v:.6f}" for v in (west - pad_x, south - pad_y, east + pad_x, north + pad_y))
    calls = [("/api/regions/basemap/public-outlines" if public else "/api/regions/basemap/outlines") + "?bbox=" + box]
    if max(east - west, north - south) <= OWN_BASE_FEATURES_SPAN:
        calls.append(("/api/registry/basemap/public" if public else "/api/registry/basemap") + "?bbox=" + box)
    return calls


def page_calls(page: str, browser: Browser | None = None) -> list[tuple[str, dict]]:
    """The requests a loaded page makes by itself, as (path, headers): what its htmx and scripts ask for.
    With a browser, the map's extent (for the base map's calls) is looked up as the script would."""
    calls: list[tuple[str, dict]] = []
    for tag in re.findall(r"<[a-z][^>]*\shx-get=\"[^\"]*\"[^>]*>", page):
        trigger = _attribute(tag, "hx-trigger") or ""
        if "load" in trigger or "every" in trigger:
            calls.append((_attribute(tag, "hx-get"), {"HX-Request": "true"}))
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    json_headers = {"Accept": "application/json"}
    calls += [(_unescape(src), {}) for src in scripts if src.startswith("/jsi18n/")]
    bbox = None
    if any(src.endswith("command/screen.js") for src in scripts):
        root = next(t for t in re.findall(r"<div[^>]*\sid=\"cc\"[^>]*>", page))
        query = _attribute(root, "data-query") or ""
        for name in ("cases", "key-persons", "devices", "care", "feed"):
            calls.append((f"/api/command/{name}?{query}", json_headers))
        data = re.search(r'<script id="screen-data" type="application/json">(.*?)</script>', page, re.S)
        if data:
            bbox = _bbox(json.loads(data.group(1)).get("layer", {}))
    if any(src.endswith("web/map.js") for src in scripts):
        root = next(t for t in re.findall(r"<div[^>]*\sid=\"map\"[^>]*>", page))
        code = _attribute(root, "data-root")
        calls += [(f"/api/regions/{code}", json_headers), (f"/api/regions/{code}/children", json_headers)]
        children = browser.get(f"/api/regions/{code}/children", headers=json_headers) if browser else None
        if children is not None and children.status == 200:
            bbox = _bbox(json.loads(children.body))
    for tag in re.findall(r"<div[^>]*\sdata-grids=\"[^\"]*\"[^>]*>", page):
        grids = _attribute(tag, "data-grids")
        calls.append((grids, json_headers))
        answer = browser.get(grids, headers=json_headers) if browser else None
        if answer is not None and answer.status == 200:
            bbox = _bbox(json.loads(answer.body))
    calls += [(path, json_headers) for path in _own_base_calls(page, bbox)]
    return [(path, headers) for path, headers in dict((p, h) for p, h in calls if p).items()]


@dataclass
class Timing:
    role: str
    path: str
    times: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, answer: Answer) -> None:
        self.times.append(answer.ms)
        self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1

    @property
    def p95(self) -> float:
        return percentile(self.times, 95)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def tab_paths(path: str, page: str) -> list[str]:
    """The page's own tabs (links back to it that change `tab` or `step`, not the page number): each a page."""
    base = path.split("?", 1)[0]
    seen, found = {base}, []
    for href in re.findall(r'href="(\?[^"]*)"', page):
        params = dict(parse_qsl(_unescape(href)[1:]))
        if "page" in params or not ({"tab", "step"} & params.keys()):
            continue
        variant = base + "?" + urlencode({k: v for k, v in params.items() if k in ("tab", "step")})
        if variant not in seen:
            seen.add(variant)
            found.append(variant)
    return found


def discover(browser: Browser, start: str = "/") -> list[tuple[str, list[tuple[str, dict]]]]:
    """Every menu page of this browser's user and each of its tabs, with the requests each makes once loaded."""
    first = browser.get(start)
    found = []
    for path in menu_paths(first.text):
        if not _wanted(path, opening=True):
            continue
        page = browser.get(path)
        found.append((path, page_calls(page.text, browser) if page.status == 200 else []))
        for tab in tab_paths(path, page.text) if page.status == 200 else []:
            variant = browser.get(tab)
            found.append((tab, page_calls(variant.text, browser) if variant.status == 200 else []))
    return found


def _wanted(path: str, *, opening: bool = False) -> bool:
    """YIWANG_BENCH_PAGES_ONLY (paths, comma-separated, each a prefix) narrows a run to some pages, to check a fix;
    a menu page is still opened (`opening`) when a wanted path is one of its tabs."""
    only = [p.strip() for p in os.environ.get("YIWANG_BENCH_PAGES_ONLY", "").split(",") if p.strip()]
    return not only or path.startswith(tuple(only)) or (opening and any(o.startswith(path) for o in only))


def time_role(browser: Browser, role: str, repeat: int) -> list[Timing]:
    """Each page REPEAT times, each followed by its calls; a call many pages make (the JavaScript
    catalogue, the base map's outlines) is one row with all its samples."""
    timings: dict[str, Timing] = {}
    for path, calls in discover(browser):
        if not _wanted(path):
            continue
        for _ in range(repeat):
            timings.setdefault(path, Timing(role, path)).add(browser.get(path))
            for call, headers in calls:
                timings.setdefault(call, Timing(role, call)).add(browser.get(call, headers=headers))
    return list(timings.values())


def time_screen(browser: Browser, path: str, repeat: int) -> Timing:
    """The command screen as the browser loads it: the page, then every call it makes at once."""
    loads = Timing("district", path + " (with its calls)")
    with concurrent.futures.ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
        for _ in range(repeat):
            started = time.perf_counter()
            page = browser.get(path)
            # The screen's calls are all written in the page: nothing is looked up before they go out together.
            calls = page_calls(page.text) if page.status == 200 else []
            answers = list(pool.map(lambda call: browser.get(call[0], headers=call[1]), calls))
            worst = max([page.status, *(a.status for a in answers)])
            loads.add(Answer(worst, {}, b"", (time.perf_counter() - started) * 1000, path))
    return loads


def time_export(browser: Browser, repeat: int) -> Timing:
    """The district's residents export: the POST that queues it, until its job page (with progress) answers."""
    page = browser.get("/persons/")
    token = _csrf_field(page.text) or browser.cookies.get("csrftoken", "")
    times = Timing("district", "POST /registry/export/persons.xlsx")
    for _ in range(repeat):
        answer = browser.request("POST", "/registry/export/persons.xlsx", form={"csrfmiddlewaretoken": token})
        if answer.status == 200 and not re.match(r"^/exports/\d+/$", answer.path):
            answer.status = 422  # refused with a message on another page: not started
        times.add(answer)
    return times


@contextlib.contextmanager
def _server(env: dict[str, str], port: int, log: Path):
    """`yiwang serve --no-background`, its output kept in `log` (a 500's traceback is there)."""
    import signal
    import urllib.request

    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "yiwang.manage", "serve", "--no-background", "--workers", str(WORKERS),
                                   "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError(f"the benchmark server did not start; see {log}") from None
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


def measure_server(env: dict[str, str], data: str, *, repeat: int) -> list[dict]:
    from bench.intake import _free_port
    from yiwang.demo.logins import DEMO_PASSWORD, DEMO_TOTP_SECRET

    # A kept database is brought to the tree's migrations first (not measured).
    _run(env, ["-m", "yiwang.manage", "migrate", "-v0"], what="migrate")
    _run(env, ["-c", PREPARE], what="prepare")
    server_env = dict(env, DJANGO_SETTINGS_MODULE="yiwang.settings", PYTHONPATH=str(ROOT), YIWANG_WORKERS=str(WORKERS))
    port = _free_port()
    timings: list[Timing] = []
    log = CACHE / f"server-{data}.log"
    with _server(server_env, port, log):
        healthz = Timing("anyone", "/healthz")
        anonymous = Browser(port)
        for _ in range(max(20, repeat * 2)):
            healthz.add(anonymous.get("/healthz"))
        # YIWANG_BENCH_PAGES_ROLES (comma-separated) narrows a run to some roles; the district always logs in (screen, export).
        roles = {r.strip() for r in os.environ.get("YIWANG_BENCH_PAGES_ROLES", "").split(",") if r.strip()} or set(ROLE_ACCOUNTS)
        browsers = {role: log_in(port, username, DEMO_PASSWORD, DEMO_TOTP_SECRET) for role, username in ROLE_ACCOUNTS.items()
                    if role in roles or role == "district"}
        for role, browser in browsers.items():
            if role not in roles:
                continue
            started = time.perf_counter()
            done = time_role(browser, role, repeat)
            for t in done:
                print(f"  {role:<12} p95 {t.p95:8.1f} ms  {t.path}  {t.statuses}", file=sys.stderr)
            timings += done
            print(f"pages@{data}: {role} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        screen = time_screen(browsers["district"], "/command/", repeat)
        export = time_export(browsers["district"], max(3, repeat // 2))
    baseline = f"p95 of GET /healthz on the same server (gunicorn {WORKERS} sync workers, {data})"
    rows = []
    for timing in timings:
        row = metric(f"page_p95_ms@{data}:{timing.role}:{timing.path}", timing.p95, "ms", baseline=baseline, baseline_value=healthz.p95)
        row["statuses"] = {str(k): v for k, v in sorted(timing.statuses.items())}
        rows.append(row)
    slowest = max(timings, key=lambda t: t.p95)
    rows += [
        metric(f"pages_p95_ms_max@{data}", slowest.p95, "ms", baseline=baseline, baseline_value=healthz.p95)
        | {"slowest": f"{slowest.role}:{slowest.path}", "pages": len(timings)},
        metric(f"command_screen_ms@{data}", screen.p95, "ms", baseline=baseline, baseline_value=healthz.p95)
        | {"statuses": {str(k): v for k, v in sorted(screen.statuses.items())}},
        metric(f"export_start_ms@{data}", export.p95, "ms", baseline=baseline, baseline_value=healthz.p95)
        | {"statuses": {str(k): v for k, v in sorted(export.statuses.items())}},
    ]
    failing = [t for t in [*timings, screen, export] if any(status >= 400 for status in t.statuses)]
    for t in failing:
        print(f"pages@{data}: {t.role} {t.path} answered {t.statuses}", file=sys.stderr)
    over = sorted((t for t in timings if t.p95 > PAGE_TARGET_MS), key=lambda t: -t.p95)
    print(f"pages@{data}: {len(timings)} pages and calls, {repeat} times each; /healthz p95 {healthz.p95:.1f} ms; "
          f"{len(over)} over {PAGE_TARGET_MS} ms; command screen p95 {screen.p95:.0f} ms; "
          f"export started p95 {export.p95:.0f} ms; the server's log: {log}", file=sys.stderr)
    return rows
