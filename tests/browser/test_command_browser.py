"""The command screen in Chromium: it renders with data (tiles, map polygons, charts), a click on a
grid drills down and the tiles then hold that grid's figures (checked against the indicators), a
dispatch from a map case's popup lands in the grid worker's inbox, the screen and its dialog speak
English when that is the chosen language, and a case reported through the API while the screen is
open appears in the live feed.

Screenshots: with YIWANG_SCREENSHOTS=<folder> (e.g. docs/img) the first test also saves the desk
and wall layouts there as command-desk.png and command-wall.png."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.cases.conftest import POINT_A, matters, report  # noqa: F401  (fixtures)
from tests.command.conftest import cases, command_department, other_grid  # noqa: F401  (fixtures)
from yiwang.cases.indicators import indicators
from yiwang.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_SIZE = {"width": 375, "height": 800}


@pytest.fixture(autouse=True)
def _catalogue_and_tasks(settings):
    # See tests/browser/test_cases_browser.py: the matter catalogue may be missing in a transactional test.
    from yiwang.matters import catalogue

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    catalogue.ensure()


def _errors(page) -> list[str]:
    """Script errors and failed requests of the page (the browser's own favicon request aside)."""
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(str(exc)))
    page.on("console", lambda msg: found.append(msg.text) if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: found.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return found


def _now_figures(region) -> dict:
    qs = Case.objects.filter(micro_grid=region) if region.level == "micro_grid" else Case.objects.filter(region__path__startswith=region.path)
    now = indicators(qs, as_of=timezone.now())
    return {"open_now": str(now.open), "overdue_now": str(now.open_overdue)}


def _tiles(page) -> dict:
    return {k: page.get_by_test_id(f"kpi-{k}").inner_text().strip() for k in ("open_now", "overdue_now")}


def _with_key_persons(tree):
    """A few key persons, some in a building with coordinates, for the heat layer."""
    from yiwang.registry.models import Building, House, Household, Person, PersonTag

    building = Building.objects.create(region=tree.micro_a1, code="B-1", name="1栋", lon=POINT_A[0], lat=POINT_A[1])
    house = House.objects.create(region=tree.micro_a1, building=building, number="101")
    household = Household.objects.create(region=tree.micro_a1, number="H-1", house=house)
    for i in range(4):
        person = Person.objects.create(region=tree.micro_a1 if i < 3 else tree.grid_b, name=f"居民{i}", household=household if i < 3 else None)
        PersonTag.objects.create(person=person, tag="elderly_alone")


def test_screen_renders_with_data_and_drills_down(page, login, live_server, users, tree, cases):  # noqa: F811
    _with_key_persons(tree)
    errors = _errors(page)
    login("street")
    page.goto(f"{live_server.url}/command/")
    expect(page.get_by_test_id("command-screen")).to_be_visible()
    assert _tiles(page) == _now_figures(tree.street)
    assert int(_tiles(page)["open_now"]) > 0
    # The map colours the street's two grids; the charts are drawn; the case points and heat load.
    expect(page.locator("path.cc-unit")).to_have_count(2)
    expect(page.get_by_test_id("chart-trend").locator("canvas")).to_have_count(1)
    for ranking in ("chart-rank", "chart-dept"):
        expect(page.get_by_test_id(ranking).get_by_test_id("rank-row").first).to_be_visible()
    expect(page.get_by_test_id("case-note")).to_contain_text("在办")
    expect(page.get_by_test_id("heat-note")).to_contain_text("重点人员 4 人：3 人按所住楼栋定位")
    expect(page.locator(".case-pin").first).to_be_attached()
    expect(page.get_by_test_id("care-total")).to_contain_text("纳入关爱 0 人")
    assert page.locator(".leaflet-heatmap-layer").count() == 1

    shots = os.environ.get("YIWANG_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 1000})
        page.wait_for_timeout(600)
        page.screenshot(path=str(Path(shots) / "command-desk.png"), full_page=True)
        page.goto(f"{live_server.url}/command/?wall=1")
        page.set_viewport_size({"width": 1920, "height": 1080})
        expect(page.locator("path.cc-unit")).to_have_count(2)
        page.wait_for_timeout(800)
        page.screenshot(path=str(Path(shots) / "command-wall.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 860})
        page.goto(f"{live_server.url}/command/")

    # Drill down: click grid A on the map (with the case points hidden, so that none is in the way).
    page.locator("[data-layer=cases]").uncheck()
    page.locator(f"path.cc-unit[data-code='{tree.grid_a.code}']").click()
    page.wait_for_url(f"**/command/?region={tree.grid_a.code}*")
    expect(page.get_by_test_id("crumb-current")).to_have_text(tree.grid_a.name)
    assert _tiles(page) == _now_figures(tree.grid_a)
    assert _tiles(page) != _now_figures(tree.street)
    # Under a grid the map shows its micro-grids; the breadcrumb leads back up to the street, not above.
    expect(page.locator("path.cc-unit")).to_have_count(2)
    crumbs = page.get_by_test_id("crumbs")
    assert tree.district.name not in crumbs.inner_text()
    crumbs.get_by_role("link", name=tree.street.name).click()
    expect(page.get_by_test_id("crumb-current")).to_have_text(tree.street.name)
    # The overdue tile opens the list of exactly those cases.
    shown = page.get_by_test_id("kpi-overdue_now").inner_text().strip()
    page.get_by_test_id("kpi-overdue_now").click()
    expect(page.get_by_test_id("case-count")).to_have_text(shown)

    # On a phone the screen fits the width.
    page.set_viewport_size(PHONE_SIZE)
    page.goto(f"{live_server.url}/command/")
    expect(page.locator("path.cc-unit")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]
    assert errors == []


def test_dispatch_from_the_map_reaches_the_handlers_inbox(browser, live_server, users, tree, report):  # noqa: F811
    case = report("S0001").case
    officer = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN").new_page()
    errors = _errors(officer)
    _sign_in(officer, live_server, "community")
    officer.goto(f"{live_server.url}/command/?region={tree.grid_a.code}")
    officer.locator(f".case-hit[data-number='{case.number}']").click()
    popup = officer.get_by_test_id("case-popup")
    expect(popup).to_contain_text(case.number)
    popup.get_by_test_id("popup-dispatch").click()
    dialog = officer.get_by_test_id("act-dialog")
    expect(dialog.get_by_test_id("act-suggestion")).to_contain_text(tree.grid_a.name)
    expect(dialog).to_contain_text("将执行：受理立案 → 派遣")
    expect(dialog.get_by_test_id("act-reasons")).to_be_visible()
    dialog.get_by_test_id("dispatch-submit").click()
    expect(dialog.get_by_test_id("act-done")).to_contain_text(f"已派遣至 {tree.grid_a.name}")
    assert Case.objects.get(pk=case.pk).status == "dispatched"
    # A second try on the same case says why it cannot.
    officer.get_by_test_id("act-dialog").locator("form[method=dialog] button").click()
    officer.reload()
    officer.locator(f".case-hit[data-number='{case.number}']").click()
    officer.get_by_test_id("popup-dispatch").click()
    expect(officer.get_by_test_id("act-refused")).to_contain_text("不能派遣")
    assert errors == []
    officer.context.close()

    worker = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN").new_page()
    _sign_in(worker, live_server, "worker_a")
    worker.goto(f"{live_server.url}/cases/inbox/")
    expect(worker.locator("main")).to_contain_text(case.number)
    worker.context.close()


def test_the_screen_and_its_dispatch_dialog_speak_english_when_chosen(browser, live_server, users, tree, report):  # noqa: F811
    case = report("S0001").case
    page = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB").new_page()
    errors = _errors(page)
    _sign_in(page, live_server, "community")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/command/?region={tree.grid_a.code}")
    expect(page.locator("h1")).to_contain_text("Command centre")
    # The words the screen's script writes come from the JavaScript catalogue.
    expect(page.locator("#feed-state")).to_contain_text("Updated at")
    expect(page.get_by_test_id("care-total")).to_contain_text("people in care")
    page.locator(f".case-hit[data-number='{case.number}']").click()
    expect(page.get_by_test_id("popup-dispatch")).to_have_text("Dispatch")
    page.get_by_test_id("popup-dispatch").click()
    dialog = page.get_by_test_id("act-dialog")
    expect(dialog.locator("h2")).to_contain_text("One-click dispatch")
    expect(dialog.get_by_test_id("act-suggestion")).to_contain_text(f"Suggested routing: send to {tree.grid_a.name}")
    expect(dialog).to_contain_text("Steps: Accept → Dispatch")
    dialog.get_by_test_id("dispatch-submit").click()
    expect(dialog.get_by_test_id("act-done")).to_contain_text(f"Dispatched to {tree.grid_a.name}")
    assert errors == []
    page.context.close()


def test_live_feed_shows_a_case_reported_through_the_api(page, login, live_server, users, tree):
    from yiwang.accounts.services import issue_token

    _, key = issue_token(user=users["community"], name="desk app", acting_user=users["community"])
    errors = _errors(page)
    login("street")
    page.goto(f"{live_server.url}/command/")
    expect(page.locator("#feed-state")).to_contain_text("更新于")
    body = json.dumps({"matter": "S0001", "lon": POINT_A[0], "lat": POINT_A[1], "description": "楼道堆物", "channel": "desk"}).encode()
    request = urllib.request.Request(f"{live_server.url}/api/cases", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        number = json.loads(response.read())["number"]
    item = page.locator(f"#feed li[data-number='{number}']")
    expect(item).to_be_visible(timeout=15_000)
    expect(item).to_contain_text("新上报")
    # The new case is on the map too (the feed reloads the points).
    expect(page.locator(f".case-hit[data-number='{number}']")).to_be_attached(timeout=10_000)
    assert errors == []


def _sign_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
