"""Inspection campaigns on a phone, in Chromium: the grid worker opens their work list, checks a
三合一 place and fails one item, which opens a case; the street then sees the progress per grid."""

from datetime import date

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 800}


@pytest.fixture(autouse=True)
def _catalogue():
    # See tests/browser/test_cases_browser.py: the seeded catalogue may be missing after the first transactional test.
    from yiwang.matters import catalogue

    catalogue.ensure()


@pytest.fixture
def campaign(tree, users):
    from yiwang.campaigns import services
    from yiwang.duties import services as duties
    from yiwang.duties.models import ListKind
    from yiwang.matters.models import MatterType
    from yiwang.registry.models import Place

    duties.create_list(region=tree.district, kind=ListKind.GRID_TASKS, acting_user=None, name="开州区网格任务清单",
                       rows=[{"key": "WG-02", "title": "安全隐患排查", "matter_types": "S0003"}])
    Place.objects.create(region=tree.micro_a1, name="老王小吃店", kind="three_in_one", address="永先路1号")
    Place.objects.create(region=tree.grid_a, name="李记五金", kind="three_in_one", address="永先路9号")
    Place.objects.create(region=tree.micro_b1, name="张姐麻辣烫", kind="three_in_one", address="永先路20号")
    gas = MatterType.objects.filter(code="S0003").order_by("kind").first()
    draft = services.create_campaign(acting_user=users["street"], owner=tree.street, title="三合一场所燃气安全专项排查", task_key="WG-02",
                                     starts_on=date(2026, 6, 1), ends_on=date(2026, 12, 31),
                                     items=[{"text": "燃气软管无老化破损", "matter": gas}, {"text": "安装燃气报警器", "matter": gas}],
                                     targets=services.TargetFilter(place_kinds=("three_in_one",)))
    return services.publish_campaign(draft, acting_user=users["street"])


def phone_page(browser, live_server, username):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
    return context, page


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_grid_worker_checks_on_the_phone_and_the_street_sees_progress(browser, live_server, tree, users, campaign):
    from yiwang.campaigns.models import ItemResult

    context, worker = phone_page(browser, live_server, "worker_a")
    worker.goto(f"{live_server.url}/campaigns/")
    worker.get_by_test_id("mine-link").click()
    pending = worker.get_by_test_id("pending")
    expect(pending).to_contain_text("老王小吃店")
    expect(pending).to_contain_text("李记五金")
    expect(pending).not_to_contain_text("张姐麻辣烫")  # grid B's place
    assert fits_the_screen(worker)

    pending.locator("li", has_text="老王小吃店").get_by_text("开始排查").click()
    expect(worker.locator("h1")).to_have_text("老王小吃店")
    first, second = worker.locator("fieldset.check-item").all()
    first.get_by_label("合格", exact=True).check()
    second.get_by_label("不合格", exact=True).check()
    second.locator("input[type=text]").fill("没有安装报警器")
    assert fits_the_screen(worker)
    worker.get_by_test_id("submit").click()

    expect(worker.get_by_test_id("messages")).to_contain_text("不合格项已立案 1 件")
    case = ItemResult.objects.get(result="fail").case
    expect(worker.get_by_test_id("messages")).to_contain_text(case.number)
    expect(worker.get_by_test_id("pending")).not_to_contain_text("老王小吃店")
    expect(worker.get_by_test_id("done")).to_contain_text("不合格 1")
    context.close()

    context, street = phone_page(browser, live_server, "street")
    street.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    row_a = street.locator(f"[data-testid=progress] tr[data-grid='{tree.grid_a.code}']")
    expect(row_a).to_contain_text("永先社区第1网格")
    expect(row_a.locator("td")).to_have_text(["永先社区第1网格", "2", "1", "50%", "1", "1", "0"])
    expect(street.locator("[data-testid=progress] tr[data-grid='total'] td")).to_have_text(["合计", "3", "1", "33%", "1", "1", "0"])
    assert fits_the_screen(street)
    context.close()
