"""The one-stop service guide on a 375 px phone, in Chromium: six categories of items, one opens its
guide with the time limit, fee, place, conditions, materials and steps; no page is wider than the
screen."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_cases_browser import _catalogue, _tasks_media_cache  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_resident_opens_an_items_guide_from_the_list(phone, live_server, tree):
    page = phone
    page.goto(f"{live_server.url}/report/services/")
    expect(page.locator("h1")).to_have_text("一站式服务")
    expect(page.locator("[data-testid=service-guide] h2")).to_have_count(6)
    expect(page.locator("[data-testid=service-item]")).to_have_count(48)
    fits(page)

    page.get_by_role("link", name="残疾人两项补贴申请").click()
    expect(page.locator("h1")).to_have_text("残疾人两项补贴申请")
    expect(page.locator("[data-testid=guide-time-limit]")).to_have_text("10个工作日")
    expect(page.locator("[data-testid=guide-fee]")).to_have_text("不收费")
    expect(page.locator("[data-testid=guide-place]")).to_contain_text("社区便民服务站")
    expect(page.locator("[data-testid=guide-conditions]")).to_contain_text("残疾人证")
    expect(page.locator("[data-testid=guide-materials] li")).to_have_count(4)
    expect(page.locator("[data-testid=guide-steps] li").first).to_contain_text("受理")
    fits(page)
