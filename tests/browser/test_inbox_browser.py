"""The inbox on a phone, in Chromium at 375x812: cards that never run off the screen, the tabs by step
with their counts in view, and tabs, filters and paging that keep the place."""

import re

import pytest
from playwright.sync_api import expect

from tests.cases.conftest import POINT_A, POINT_B

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture(autouse=True)
def _catalogue_and_tasks(settings):
    from yiwang.matters import catalogue

    # See tests/browser/test_cases_browser.py: the seeded catalogue may not survive a transactional test.
    catalogue.ensure()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def report(code: str, at=POINT_A, address: str = ""):
    from yiwang.cases.models import Channel
    from yiwang.cases.services import Report, report_case
    from yiwang.matters.models import MatterType

    matter = MatterType.objects.filter(code=code).first()
    return report_case(Report(channel=Channel.DESK, matter=matter, lon=at[0], lat=at[1], description="楼道堆物", address=address)).case


def sign_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.body.scrollWidth") <= PHONE["width"]


def test_the_inbox_fits_a_phone_with_its_tabs_and_counts(phone, live_server, tree, users):
    from yiwang.cases import services

    # A long address must wrap inside its card, not widen the page.
    for i in range(23):
        report("S0001", at=POINT_A if i % 2 else POINT_B, address="幸福路" + "八号院东侧楼道" * 6)
    for _ in range(2):
        services.do_accept_case(report("S0002"), acting_user=users["community"])
    page = phone
    sign_in(page, live_server, "community")
    page.goto(f"{live_server.url}/cases/inbox/")
    fits(page)
    tabs = page.get_by_test_id("inbox-tab")
    expect(tabs).to_have_count(7)  # 全部 and the six steps a community coordinates or handles
    for i in range(7):
        expect(tabs.nth(i)).to_be_in_viewport()
        expect(tabs.nth(i).get_by_test_id("inbox-count")).to_be_visible()
    reported = page.locator('[data-testid=inbox-tab][data-step="reported"]')
    expect(reported).to_have_attribute("aria-current", "page")  # new reports first
    expect(reported.get_by_test_id("inbox-count")).to_have_text("23")
    expect(page.get_by_test_id("inbox-card")).to_have_count(20)
    expect(page.get_by_test_id("inbox-card").first).to_be_visible()

    # Newest first, page 2: the place is in the address, and a tab keeps the order.
    page.select_option("select[name=sort]", "newest")
    page.wait_for_url(re.compile(r"sort=newest"))
    fits(page)
    page.get_by_role("link", name=re.compile("下一页")).click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.get_by_test_id("inbox-card")).to_have_count(3)
    expect(page.locator("select[name=sort]")).to_have_value("newest")
    page.locator('[data-testid=inbox-tab][data-step="accepted"]').click()
    page.wait_for_url(re.compile(r"step=accepted"))
    assert "sort=newest" in page.url
    expect(page.get_by_test_id("inbox-card")).to_have_count(2)
    fits(page)

    # Away to a case and back through its "返回待办" link: the same tab, the same order.
    page.get_by_test_id("inbox-card").first.locator("a.inbox-number").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    page.get_by_test_id("back-to-inbox").click()
    page.wait_for_url(re.compile(r"/cases/inbox/"))
    expect(page.locator('[data-testid=inbox-tab][data-step="accepted"]')).to_have_attribute("aria-current", "page")
    expect(page.locator("select[name=sort]")).to_have_value("newest")


def test_a_department_sees_what_to_sign_beside_as_many_messages(phone, live_server, tree, users):
    from yiwang.cases import services
    from yiwang.matters.models import Department

    department = Department.objects.create(code="KZ-CG", name="开州区城管执法局", kind="urban_management", region=tree.district)
    department.areas.add(tree.street)
    department.members.add(users["department"])
    for _ in range(4):
        case = report("06001")
        services.do_accept_case(case, acting_user=users["street"])
        services.do_dispatch_case(case, acting_user=users["street"])
    page = phone
    sign_in(page, live_server, "department")
    page.goto(f"{live_server.url}/cases/inbox/")
    fits(page)
    to_sign = page.locator('[data-testid=inbox-tab][data-step="dispatched"]')
    expect(to_sign).to_have_attribute("aria-current", "page")
    expect(to_sign.get_by_test_id("inbox-count")).to_have_text("4")
    expect(page.get_by_test_id("unread-count")).to_have_text("4")
    expect(page.get_by_test_id("inbox-card")).to_have_count(4)
