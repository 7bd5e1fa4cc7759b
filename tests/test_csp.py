"""The Content-Security-Policy: every response carries it (script-src 'self' with no 'unsafe-inline'
or 'unsafe-eval', object-src 'none', frame-ancestors 'none', ...), and no page needs more: no inline
<script> (a <script type="application/json"> is data and allowed), no on*= attribute, no javascript:
URL, no <style> element and no style="" attribute, on any template and on any page a staff user, a
resident or a visitor reaches by following links from every parameterless GET route.

tests/browser/test_csp_browser.py runs the main pages in Chromium and fails on any CSP violation."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.cases.conftest import matters, report  # noqa: F401  (fixtures)
from tests.command.conftest import cases, command_department, other_grid  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent / "yiwang"


def directives(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


# --- The header ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/report/", "/track/", "/healthz", "/static/web/site.css"])
def test_every_response_carries_the_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert not any("unsafe" in value or "nonce" in value for values in policy.values() for value in values)
    if not path.startswith("/static/"):  # WhiteNoise answers static files before the clickjacking middleware
        assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_tile_hosts_extend_img_src_from_the_environment(monkeypatch):
    import importlib

    import yiwang.settings as settings_module

    monkeypatch.setenv("YIWANG_CSP_IMG_HOSTS", "https://tiles.example.gov.cn, https://t2.example.gov.cn")
    try:
        fresh = importlib.reload(settings_module)
        assert fresh.SECURE_CSP["img-src"] == ["'self'", "data:", "blob:", "https://tiles.example.gov.cn", "https://t2.example.gov.cn"]
        assert fresh.SECURE_CSP["script-src"] == ["'self'"]
    finally:
        monkeypatch.delenv("YIWANG_CSP_IMG_HOSTS")
        importlib.reload(settings_module)


@pytest.mark.django_db
def test_the_api_docs_page_runs_under_the_same_strict_policy(admin_client):
    response = admin_client.get("/api/docs")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


# --- What a page may contain --------------------------------------------------------------------


class Offences(HTMLParser):
    """Collects what the policy would refuse: inline script, on*= handlers, javascript: URLs, inline style."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "script" and not named.get("src") and (named.get("type") or "").lower() != "application/json":
            self.found.append(f"inline <script {attrs}>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            elif name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def offences(html: str) -> list[str]:
    parser = Offences()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_checker_catches_what_the_policy_refuses():
    # Each of these would be blocked in the browser; the page checks below rely on the checker seeing them.
    assert offences('<script>alert(1)</script>')
    assert offences('<script type="module">import "x"</script>')
    assert offences('<select onchange="this.form.submit()"></select>')
    assert offences('<a href="javascript:void(0)">x</a>')
    assert offences('<div style="width: 3%"></div>')
    assert offences("<style>p{}</style>")
    assert offences('<img src="x" onerror="x()"/>')
    assert not offences('<script src="/static/web/site.js"></script><script type="application/json" id="d">{"a": 1}</script>'
                        '<select data-autosubmit></select><form data-confirm="ok?"></form><i data-width="3"></i>')


TEMPLATE_PATTERNS = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json)[^>]*>", re.I),
    "on*= handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S),
}


def test_no_template_needs_inline_script_or_style():
    # Covers templates no crawl reaches (error pages, rare states) as written, before rendering.
    found = []
    for path in sorted(ROOT.glob("*/templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {what}" for what, pattern in TEMPLATE_PATTERNS.items() if pattern.search(text)]
    assert found == []


def test_no_static_script_writes_inline_style_or_evaluates_strings():
    # Our own scripts (not the vendored libraries): markup they build must not carry style="" (set
    # node.style instead) and they must not eval.
    found = []
    for path in sorted(ROOT.glob("*/static/**/*.js")):
        text = path.read_text(encoding="utf-8")
        for what, pattern in {"style= in markup": r"style=\\?[\"']", "eval": r"\beval\(|new Function\(",
                              "on*= in markup": r"<[a-z][^>]*\son[a-z]+="}.items():
            if re.search(pattern, text):
                found.append(f"{path.relative_to(ROOT)}: {what}")
    assert found == []


# --- Every reachable page -----------------------------------------------------------------------

SKIP = re.compile(r"^/(logout/|i18n/|jsi18n/|static/|media/|photos/|open311/)|download|export|\.(xlsx|pdf|docx|csv|geojson|json)$")


def parameterless_routes(resolver=None, namespace: str = "") -> list[str]:
    """The reversed path of every named route without parameters (GET pages and fragments alike)."""
    resolver = resolver or get_resolver()
    paths = []
    for entry in resolver.url_patterns:
        if entry.pattern.regex.groups:
            continue
        if isinstance(entry, URLResolver):
            paths += parameterless_routes(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif entry.name:
            paths.append(reverse(f"{namespace}{entry.name}"))
    return sorted(set(paths))


def shape(path: str) -> str:
    # One page per template is enough: /cases/KZ2026000012/ and /cases/KZ2026000013/ look alike.
    return re.sub(r"\d+", "N", path)


def crawl(client: Client, limit: int = 400) -> tuple[dict[str, list[str]], list[str], int]:
    """Every parameterless route, then the links on those pages (and on theirs), one page per URL shape."""
    queue = [p for p in parameterless_routes() if not SKIP.search(p)]
    seen = {shape(p) for p in queue}
    found: dict[str, list[str]] = {}
    failures: list[str] = []
    pages = 0
    while queue and pages < limit:
        path = queue.pop(0)
        response = client.get(path)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {path}")
        if not response.get("Content-Type", "").startswith("text/html") or response.status_code >= 300:
            continue
        pages += 1
        html = response.content.decode()
        problems = offences(html)
        if problems:
            found[path] = problems
        header = directives(response.get("Content-Security-Policy", ""))
        if header.get("script-src") != ["'self'"]:
            found.setdefault(path, []).append(f"script-src {header.get('script-src')}")
        for href in re.findall(r"""<a\b[^>]*\shref=["']([^"'#]+)""", html):
            link = urlsplit(href.replace("&amp;", "&"))
            if link.scheme or link.netloc or not link.path.startswith("/"):
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            if SKIP.search(link.path) or shape(target) in seen:
                continue
            seen.add(shape(target))
            queue.append(target)
    return found, failures, pages


@pytest.fixture
def many_pages(users, tree, cases, report):  # noqa: F811
    """Cases in every state (the command fixtures) and one by the resident's own hand."""
    report(user=users["worker_a"], channel="grid_worker")
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["district", "resident", None])
def test_no_reachable_page_has_inline_script_or_handlers(who, users, many_pages):
    client = Client(raise_request_exception=False)
    if who:
        user = users[who]
        if who == "district":
            # Staff: the admin's pages are crawled too.
            user.is_staff = user.is_superuser = True
            user.save()
        client.force_login(user)
    found, failures, pages = crawl(client)
    assert pages >= (60 if who == "district" else 8), pages
    assert found == {}
    assert failures == []
