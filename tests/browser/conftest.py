"""Playwright driving Debian's Chromium against the live test server."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("YIWANG_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(autouse=True)
def _close_connections_after_each_request():
    # The live server answers on short-lived threads; with persistent connections each would
    # leave one open, and PostgreSQL then refuses to drop the test database at the end.
    from django.db import connections

    saved = connections.settings["default"]["CONN_MAX_AGE"]
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    yield
    connections.settings["default"]["CONN_MAX_AGE"] = saved


class _Chromium:
    """The browser whose new contexts block service workers unless a test asks for one: a worker's
    background fetches (keeping the offline forms' pages) would still be running on the live server
    when the test's database is emptied, and on PostgreSQL the TRUNCATE then deadlocks with them."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **options):
        options.setdefault("service_workers", "block")
        return self._browser.new_context(**options)

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import expect

    # Assertions wait up to 15 s (Playwright's default is 5): `make test` runs three suites side by
    # side on two cores, and a page's scripts can take that long there.
    expect.set_options(timeout=15_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield _Chromium(browser)
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page, live_server):
    def do(username: str, password: str = "Yiwang-test-2026"):
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/map/**")
        return page

    return do
