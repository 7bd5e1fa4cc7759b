"""The page benchmark's plumbing (bench/pages.py), without a server and without timing: its discovery
finds each role's menu pages and the calls those pages make, and its request loop opens them all."""

import time

import pytest
from django.test import Client

from bench import pages

pytestmark = pytest.mark.django_db


class ClientBrowser(pages.Browser):
    """The benchmark's browser over Django's test client instead of a socket."""

    def __init__(self, user) -> None:
        super().__init__(port=0)
        self.client = Client()
        self.client.force_login(user)

    def _once(self, method, path, form, extra):
        if method == "POST":
            response = self.client.post(path, form or {}, headers=extra)
        else:
            response = self.client.get(path, headers=extra)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, {k.lower(): v for k, v in response.items()}, body


@pytest.fixture
def staff(users, tree):
    from yiwang.matters import catalogue

    catalogue.ensure()
    return users


@pytest.mark.parametrize("who", ["district", "street", "community", "worker_a", "department", "resident"])
def test_every_discovered_page_and_call_answers(staff, who):
    timings = pages.time_role(ClientBrowser(staff[who]), who, repeat=1)
    assert timings, "each role has pages to open"
    refused = [(t.path, t.statuses) for t in timings if any(status >= 400 for status in t.statuses)]
    assert refused == []
    # One sample per page; a call several pages make (the JavaScript catalogue) is one row with each.
    assert all(len(t.times) >= 1 for t in timings)
    assert len({t.path for t in timings}) == len(timings)


def test_the_command_screen_calls_are_found(staff):
    browser = ClientBrowser(staff["district"])
    page = browser.get("/command/")
    calls = [path for path, _ in pages.page_calls(page.text)]
    api = {path.split("?", 1)[0] for path in calls if path.startswith("/api/command/")}
    assert api == {"/api/command/cases", "/api/command/key-persons", "/api/command/devices", "/api/command/care", "/api/command/feed"}
    assert any(path.startswith("/jsi18n/") for path in calls)
    assert all(browser.get(path).status == 200 for path in calls)


def test_the_map_page_calls_its_region_and_children(staff, tree):
    browser = ClientBrowser(staff["street"])
    page = browser.get("/map/")
    calls = [path for path, _ in pages.page_calls(page.text, browser)]
    code = tree.street.code
    assert f"/api/regions/{code}" in calls and f"/api/regions/{code}/children" in calls
    assert any(path.startswith(f"/map/{code}/panel") for path in calls)


def test_totp_matches_the_servers_check():
    import base64

    from django_otp.oath import TOTP

    secret = "YIWANGDEMOTOTPSECRETYIWANGDEMO22"
    for moment in (59, 1_111_111_109, 2_000_000_000):
        server = TOTP(base64.b32decode(secret), step=30, t0=0, digits=6)
        server.time = moment
        assert pages.totp(secret, at=moment) == f"{server.token():06d}"


def test_percentile_and_bbox():
    assert pages.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 95) == 5.0
    assert pages._bbox({"features": [{"geometry": {"coordinates": [[[1, 2], [3, 4], [0, 5]]]}}]}) == (0, 2, 3, 5)
