"""The command screen's wall mode (/command/?wall=1) as a 大屏 in Chromium: it fits 1920x1080 and
3840x2160 with no page scroll once its panels have loaded, the map legend has real quantile classes,
the rankings show every name and value with bars over the range shown, no panel is left saying
"加载中…", a failed request shows its reason in its panel, and the key-person heat is kept inside
the area shown.

Screenshots: with YIWANG_SCREENSHOTS=<folder> the first test saves command-wall-1920.png there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.cases.conftest import POINT_A, matters, report  # noqa: F401  (fixtures)
from tests.command.conftest import cases, command_department, other_grid  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PANELS_WITH_DATA = ("map", "feed", "chart-trend", "chart-rank", "chart-dept", "care", "devices")


@pytest.fixture(autouse=True)
def _catalogue_and_tasks(settings):
    # See tests/browser/test_cases_browser.py: the matter catalogue may be missing in a transactional test.
    from yiwang.matters import catalogue

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    catalogue.ensure()


def _with_key_persons(tree):
    """Key persons in a building of grid A, for the heat layer."""
    from yiwang.registry.models import Building, House, Household, Person, PersonTag

    building = Building.objects.create(region=tree.micro_a1, code="B-1", name="1栋", lon=POINT_A[0], lat=POINT_A[1])
    house = House.objects.create(region=tree.micro_a1, building=building, number="101")
    household = Household.objects.create(region=tree.micro_a1, number="H-1", house=house)
    for i in range(3):
        person = Person.objects.create(region=tree.micro_a1, name=f"居民{i}", household=household)
        PersonTag.objects.create(person=person, tag="elderly_alone")


def _open_wall(browser, live_server, size, query="wall=1"):
    context = browser.new_context(viewport=size, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "street")
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
    page.goto(f"{live_server.url}/command/?{query}")
    return context, page


def _wait_loaded(page):
    expect(page.locator("path.cc-unit")).to_have_count(2)
    expect(page.get_by_test_id("care-total")).to_be_visible()
    expect(page.get_by_test_id("case-note")).to_contain_text("在办")
    expect(page.locator("#feed-state")).to_contain_text("更新于")
    expect(page.locator(".cc-loading")).to_have_count(0)


def _page_size(page) -> dict:
    return page.evaluate("({h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth})")


def test_the_wall_fits_1920x1080_with_classes_rankings_and_no_loading_left(browser, live_server, users, tree, cases):  # noqa: F811
    _with_key_persons(tree)
    context, page = _open_wall(browser, live_server, {"width": 1920, "height": 1080}, "wall=1&indicator=cases")
    try:
        _wait_loaded(page)
        size = _page_size(page)
        assert size["h"] <= 1080 and size["w"] <= 1920, size
        # The map and every panel are inside the screen.
        for testid in ("map", "chart-rank", "chart-dept", "chart-trend", "care", "devices", "feed"):
            box = page.get_by_test_id(testid).bounding_box()
            assert box and box["y"] + box["height"] <= 1080 and box["height"] > 20, (testid, box)
        for testid in PANELS_WITH_DATA:
            expect(page.get_by_test_id(testid)).not_to_contain_text("加载中")

        # The legend: the two grids' case counts differ, so there is more than one class, each a real range or value.
        values = sorted({float(v) for v in page.locator("path.cc-unit").evaluate_all("ps => ps.map(p => p.dataset.value)")})
        assert len(values) == 2
        classes = page.get_by_test_id("legend-class")
        expect(classes).to_have_count(2)
        assert [c.strip() for c in classes.all_inner_texts()] == [f"{v:g}" for v in values]
        swatches = classes.locator("i").evaluate_all("is => is.map(i => getComputedStyle(i).backgroundColor)")
        assert len(set(swatches)) == 2
        fills = set(page.locator("path.cc-unit").evaluate_all("ps => ps.map(p => p.getAttribute('fill'))"))
        assert len(fills) == 2

        # The rankings: every row shows its name and value, visibly; the bars differ when the values do.
        rows = page.get_by_test_id("chart-rank").get_by_test_id("rank-row")
        assert rows.count() >= 2
        for i in range(rows.count()):
            row = rows.nth(i)
            name, value = row.locator(".rank-name"), row.locator(".rank-value")
            expect(name).to_be_visible()
            expect(value).to_be_visible()
            assert name.inner_text().strip() and value.inner_text().strip()
        page.select_option("#rank-order", "cases")
        counts = page.get_by_test_id("chart-rank").locator(".rank-value").all_inner_texts()
        widths = page.get_by_test_id("chart-rank").locator(".rank-fill").evaluate_all("fs => fs.map(f => f.getBoundingClientRect().width)")
        if len(set(counts)) > 1:
            assert max(widths) > min(widths) > 0
            assert widths == sorted(widths, reverse=True)

        # Dark controls: the dropdowns are not white.
        background = page.get_by_test_id("filter-days").evaluate("s => getComputedStyle(s).backgroundColor")
        assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")

        # The heat is drawn, clipped to the grids shown.
        expect(page.locator(".leaflet-heatmap-layer")).to_have_count(1)
        expect(page.get_by_test_id("map")).to_have_attribute("data-heat-clipped", "1")

        shots = os.environ.get("YIWANG_SCREENSHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / "command-wall-1920.png"))
    finally:
        context.close()


def test_the_wall_fits_3840x2160(browser, live_server, users, tree, cases):  # noqa: F811
    context, page = _open_wall(browser, live_server, {"width": 3840, "height": 2160})
    try:
        _wait_loaded(page)
        size = _page_size(page)
        assert size["h"] <= 2160 and size["w"] <= 3840, size
        # The type grows with the screen: twice the 1920 wall's.
        assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 29
    finally:
        context.close()


def test_equal_values_make_one_class_labelled_with_that_value(browser, live_server, users, tree):
    # No cases at all: both grids report 0, and the legend says "0", not "0–0".
    context, page = _open_wall(browser, live_server, {"width": 1920, "height": 1080}, "wall=1&indicator=cases")
    try:
        expect(page.locator("path.cc-unit")).to_have_count(2)
        classes = page.get_by_test_id("legend-class")
        expect(classes).to_have_count(1)
        expect(classes).to_have_text("0")
    finally:
        context.close()


def test_a_failed_request_shows_its_reason_in_its_panel(browser, live_server, users, tree):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    context.route("**/api/command/care*", lambda route: route.fulfill(status=500, body="{}", content_type="application/json"))
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "street")
        page.fill("input[name=password]", "Yiwang-test-2026")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/map/**")
        page.goto(f"{live_server.url}/command/?wall=1")
        care = page.get_by_test_id("care")
        expect(care.locator(".cc-failed")).to_contain_text("请求失败（500）")
        expect(care).not_to_contain_text("加载中")
        expect(page.get_by_test_id("devices")).not_to_contain_text("加载中")
    finally:
        context.close()
