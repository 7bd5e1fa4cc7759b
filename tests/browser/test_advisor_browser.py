"""The grid advisor in Chromium: the street sees today's grids beside the proposal on two maps,
moves a building and proposes; the district approves it."""

import pytest
from playwright.sync_api import expect

from tests.advisor.fixtures import block  # noqa: F401 - the 12-building community

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _quick_solve(settings):
    settings.YIWANG_ADVISOR_PAGE_SECONDS = 10


def sign_in(browser, live_server, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
    return context, page


def test_street_compares_adjusts_and_proposes_district_approves(browser, live_server, tree, block, users):
    street_context, street = sign_in(browser, live_server, "street")
    district_context, district = sign_in(browser, live_server, "district")
    errors = []
    street.on("pageerror", lambda error: errors.append(str(error)))
    try:
        street.goto(f"{live_server.url}/advisor/")
        street.get_by_role("link", name="永先社区").click()
        for testid in ("map-current", "map-proposed"):
            expect(street.get_by_test_id(testid)).to_have_attribute("data-ready", "1", timeout=60_000)
            expect(street.get_by_test_id(testid)).to_have_attribute("data-grids", "2")
            # Each map draws both grids and the twelve buildings.
            expect(street.get_by_test_id(testid).locator("path.leaflet-interactive")).to_have_count(14)
        expect(street.get_by_test_id("current-figures").locator("tbody tr")).to_have_count(2)
        expect(street.get_by_test_id("proposed-figures").locator("tbody tr")).to_have_count(2)
        # The street keeps its own idea: move YX-21 (beside grid 002) and nothing else.
        for code, grid in block.grid_of.items():
            street.get_by_label(code, exact=True).fill(grid.code)
        street.get_by_label("YX-21", exact=True).fill(tree.grid_b.code)
        expect(street.locator("#row-YX-21")).to_have_class("moved")
        street.locator("textarea[name=reason]").fill("001网格超过500户")
        street.get_by_test_id("propose").click()
        expect(street.get_by_test_id("proposal-status")).to_have_text("待审批")
        expect(street.get_by_test_id("decide")).to_have_count(0)
        url = street.url

        district.goto(url)
        expect(district.get_by_test_id("map-proposed")).to_have_attribute("data-ready", "1", timeout=60_000)
        district.get_by_test_id("approve").click()
        expect(district.get_by_test_id("proposal-status")).to_have_text("已生效")
        assert not errors
    finally:
        street_context.close()
        district_context.close()
