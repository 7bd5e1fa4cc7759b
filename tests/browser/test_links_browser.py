"""Recording a linked visit on a phone, in Chromium: a grid worker finds the link that missed last
month, records the visit made then (late) with two problems, one of which opens a case, and sees
the visit, the case number linked to the case page, and the link back on track."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 800}


@pytest.fixture(autouse=True)
def _immediate_tasks_and_catalogue(settings):
    # The case's notifications are queued on commit: run them in-process. The seeded catalogue may
    # be missing after an earlier transactional browser test (see tests/browser/test_cases_browser.py).
    from yiwang.matters import catalogue

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    catalogue.ensure()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px phone"


def test_record_a_linked_visit_on_a_phone(phone, live_server, tree, users):
    from yiwang.cases.models import Case
    from yiwang.links.models import Link

    users["worker_a"].first_name = "陈网格"
    users["worker_a"].save()
    link = Link.objects.create(kind="department", region=tree.grid_a, department=_department(tree), contacts_required=1, period="month",
                               cadence_note="每月至少一次面对面", starts_on=date(2025, 1, 1), primary=users["worker_a"])
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "worker_a")
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")

    # The list says the link missed last month, in words.
    page.goto(f"{live_server.url}/links/")
    card = page.locator(f"[data-link='{link.pk}']")
    expect(card.locator("[data-testid=status]")).to_have_text("未达频次")
    expect(card).to_contain_text("开州区财政局")
    no_sideways_scroll(page)
    card.locator("a").first.click()
    expect(page.locator("[data-testid=cadence-status]")).to_have_text("未达频次")
    page.click("[data-testid=record-visit]")
    expect(page.locator("h1")).to_have_text("记录走访")
    no_sideways_scroll(page)

    # The visit was made on the last day of last month; it is recorded late.
    made_on = timezone.localdate().replace(day=1) - timedelta(days=1)
    page.fill("input[name=at]", f"{made_on:%Y-%m-%d}T10:30")
    page.get_by_label("面对面").check()
    page.fill("input[name=visitor_names]", "刘局长")
    page.fill("textarea[name=summary]", "走访楼宇企业,了解复工复产困难")
    first = page.locator("[data-testid=problem-row]").nth(0)
    first.locator("textarea").fill("6栋两户因漏水争执,需要调解")
    expect(first.locator("select[name$='-matter']")).to_be_hidden()  # case fields show only when asked for
    first.get_by_label("立案（转入事件办理）").check()
    first.locator("select[name$='-matter']").select_option(label="邻里纠纷（S0001）")
    page.click("[data-testid=add-problem]")
    second = page.locator("[data-testid=problem-row]").nth(1)
    second.locator("textarea").fill("居民希望增设休闲座椅")
    no_sideways_scroll(page)
    page.click("[data-testid=submit]")

    # Back on the link: the visit, its problems, the case number linking to the case.
    page.wait_for_url(f"{live_server.url}/links/{link.pk}/")
    case = Case.objects.get(external_source="link")
    expect(page.locator("[data-testid=messages]")).to_contain_text(f"已记录走访，立案 1 件：{case.number}")
    visits = page.locator("[data-testid=visits]")
    expect(visits).to_contain_text("走访楼宇企业,了解复工复产困难")
    expect(visits).to_contain_text("居民希望增设休闲座椅")
    expect(visits).to_contain_text("陈网格、刘局长")
    case_link = visits.locator("[data-testid=case-link]")
    expect(case_link).to_have_text(case.number)
    expect(page.locator("[data-testid=cadence-status]")).to_have_text("达标")
    expect(page.locator("[data-testid=previous-period]")).to_contain_text("1/1")
    no_sideways_scroll(page)

    case_link.click()
    page.wait_for_url(f"{live_server.url}/cases/{case.number}/")
    expect(page.locator("body")).to_contain_text("6栋两户因漏水争执,需要调解")

    # No longer missed: on track in the list, and gone from the gaps page.
    page.goto(f"{live_server.url}/links/")
    expect(page.locator(f"[data-link='{link.pk}'] [data-testid=status]")).to_have_text("达标")
    page.goto(f"{live_server.url}/links/gaps/")
    expect(page.locator("[data-testid=missed]")).to_contain_text("所有联点都达到了联系频次")
    expect(page.locator(f"[data-testid=missed] [data-link='{link.pk}']")).to_have_count(0)
    no_sideways_scroll(page)


def _department(tree):
    from yiwang.matters.models import Department

    return Department.objects.create(code="KZ-CZ", name="开州区财政局", kind="other", region=tree.district)
