"""Assessment on a phone, in Chromium: the community opens 永先's ranking, follows a grid worker to
the computation behind the score, signs the yearly review, and then opens an honour round that
nominates from the records and awards one place."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 800}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px phone"


def test_review_and_honour_on_a_phone(phone, live_server, tree, users):
    from yiwang.gridwork.models import PatrolLog
    from yiwang.matters import catalogue

    catalogue.ensure()
    # Last year's work: a year is reviewed once it is over.
    year = timezone.localdate().year - 1
    when = timezone.now().replace(year=year, month=6, day=15)
    for worker, grid, patrols in ((users["worker_a"], tree.grid_a, 6), (users["worker_b"], tree.grid_b, 2)):
        for _ in range(patrols):
            PatrolLog.objects.create(region=grid, worker=worker, worker_name=worker.username, at=when, summary="日常巡查")
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "community")
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")

    page.goto(f"{live_server.url}/assessment/?year={year}")
    rows = page.locator("[data-testid=ranking] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-worker", "worker_a")
    expect(rows.nth(0).locator("[data-testid=score]")).to_have_text("3")
    expect(rows.nth(1).locator("[data-testid=score]")).to_have_text("1")
    rows.nth(0).locator("a").click()
    expect(page.locator("[data-testid=total]")).to_have_text("3")
    expect(page.locator("[data-component=patrols]")).to_contain_text("6")
    expect(page.locator("[data-testid=formula]")).to_contain_text("6 × 0.5")
    expect(page.locator("[data-testid=records] a[href^='/gridwork/patrols/']")).to_have_count(6)
    no_sideways_scroll(page)
    page.select_option("select[name=grade]", "excellent")
    page.fill("textarea[name=comment]", "巡查勤勉")
    page.click("text=按上述得分评定")
    expect(page.locator("[data-testid=review]")).to_contain_text("优秀")
    expect(page.locator("[data-testid=review]")).to_contain_text("3")

    page.goto(f"{live_server.url}/assessment/honours/")
    page.select_option("select[name=kind]", "grid_worker")
    page.select_option("select[name=region]", tree.community.code)
    page.fill("input[name=year]", str(year))
    page.fill("input[name=places]", "1")
    page.click("[data-testid=open-round]")
    page.click("text=按工作记录提名")
    nominees = page.locator("[data-testid=nominations] tbody tr")
    expect(nominees).to_have_count(2)
    expect(nominees.nth(0)).to_contain_text("考评得分 3")
    no_sideways_scroll(page)
    page.check("input[aria-label=worker_a]")
    page.click("text=评定当选")
    expect(page.locator("[data-nominee=worker_a]")).to_contain_text("当选")
    expect(page.locator("[data-testid=messages]")).to_contain_text("已评定")
