"""Grid work on a phone, in Chromium: the grid worker sees an overdue care visit, records the visit
with the phone's position and a finding that opens a case, and sees the case on the record and on
their page, with the care visit no longer overdue. Assertions are on the text a person reads."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

# The live server needs committed data; serialized_rollback restores what migrations seeded.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 800}
POINT_A1 = {"longitude": 108.302, "latitude": 31.105}


@pytest.fixture(autouse=True)
def _tasks_and_catalogue(settings):
    from yiwang.matters import catalogue

    # Cases queue notifications on commit; run them in-process. The catalogue may be missing after
    # an earlier transactional test (see tests/browser/test_cases_browser.py).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    catalogue.ensure()


def _fits(page) -> bool:
    return page.evaluate("document.querySelector('main').scrollWidth <= window.innerWidth")


def test_grid_worker_records_a_care_visit_whose_finding_opens_a_case(browser, live_server, tree, users):
    from django.utils import timezone

    from tests import factories
    from tests.gridwork import factories as gw
    from yiwang.registry.models import PersonTag

    gw.careplan(tree.community, group="elderly_alone", frequency_days=7, starts_on=timezone.localdate() - timedelta(days=20))
    elder = factories.person(tree.micro_a1)
    elder.name = "李奶奶"
    elder.save(update_fields=["name"])
    PersonTag.objects.create(person=elder, tag="elderly_alone")

    context = browser.new_context(viewport=PHONE, locale="zh-CN", permissions=["geolocation"], geolocation=POINT_A1)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "worker_a")
        page.fill("input[name=password]", "Yiwang-test-2026")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/map/**")

        page.goto(f"{live_server.url}/gridwork/")
        overdue = page.locator("[data-testid=my-overdue]")
        expect(overdue).to_contain_text("李奶奶")
        expect(overdue).to_contain_text("超期 13 天")
        assert _fits(page)
        overdue.locator("[data-testid=visit-person]").click()

        expect(page.locator("h1")).to_have_text("记录入户走访")
        expect(page.get_by_label(re.compile("李奶奶"))).to_be_checked()
        page.fill("[name=summary]", "上门看望,老人身体尚好")
        page.click("[data-testid=locate]")
        expect(page.locator("#position")).to_contain_text("108.302000, 31.105000")
        row = page.locator("[data-testid=finding-row]").first
        row.locator("textarea").fill("楼上卫生间漏水,两户起了纠纷")
        expect(row.locator(".case-fields")).to_be_hidden()
        row.locator("input[name$='-open_case']").check()
        row.locator("select[name$='-matter']").select_option(label="邻里纠纷（S0001）")
        assert _fits(page)
        page.click("[data-testid=submit]")

        expect(page.locator("[data-testid=messages]")).to_contain_text("已记录入户走访，立案 1 件")
        number = page.locator("[data-testid=findings] [data-testid=case-link]").inner_text()
        assert re.fullmatch(r"\d{14}", number)
        expect(page.locator("[data-testid=persons]")).to_have_text("李奶奶")

        page.goto(f"{live_server.url}/gridwork/")
        expect(page.locator("[data-testid=records]")).to_contain_text(number)
        expect(page.locator("[data-testid=my-overdue]")).to_contain_text("没有超期的关爱对象")
        expect(page.locator("[data-testid=my-care]")).to_contain_text("100.0%")
        page.locator("[data-testid=records] [data-testid=case-link]").first.click()
        expect(page.locator("body")).to_contain_text("楼上卫生间漏水")
    finally:
        context.close()
