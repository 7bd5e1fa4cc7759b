"""The resident's 随手拍 on a 375 px phone, in Chromium: signed in, the place comes first; they pick
it on the map, read no internal tier (A类/B类/C类), find their phone filled in, submit, and find
the report on 我的上报 with its status. No page is wider than the screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_cases_browser import _catalogue, _tasks_media_cache  # noqa: F401
from tests.cases.conftest import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 812}
TIERS = re.compile(r"[ABC]类")


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def resident(users, tree):
    from tests import factories

    person = factories.person(tree.micro_a1)
    person.set_phone("13687654321")
    person.save()
    user = users["resident"]
    user.person = person
    user.save()
    return user


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_resident_reports_place_first_and_finds_it_on_my_reports(phone, live_server, tree, resident):
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "resident")
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/report/")
    expect(page.locator("h1")).to_have_text("随手拍")
    # The place is the first step, before what is wrong.
    steps = page.locator("fieldset.report-step legend")
    expect(steps.first).to_contain_text("在哪里")
    place_box, problem_box = page.locator("[data-testid=step-place]").bounding_box(), page.locator("[data-testid=step-problem]").bounding_box()
    assert place_box["y"] < problem_box["y"]
    expect(page.locator("[data-testid=locate]")).to_have_text("用我的位置")
    assert not TIERS.search(page.locator("main").inner_text())
    assert not any(TIERS.search(text) for text in page.locator("[data-testid=matter] option").all_inner_texts())
    expect(page.locator("[data-testid=service-link]")).to_have_text("办事申请请到 一站式服务")
    fits(page)

    page.wait_for_selector("#pick-map[data-ready='1']")
    page.locator(f"#pick-map path[data-code='{tree.grid_a.code}']").click()
    expect(page.locator("[data-testid=position-status]")).to_contain_text("已选位置：永先社区第1网格")
    page.fill("[name=address]", "幸福小区3栋楼下")
    page.select_option("[data-testid=matter]", label="堆物堆料")
    page.fill("[name=description]", "楼道里堆满了纸箱")
    page.set_input_files("[name=photos]", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": png_bytes()}])
    expect(page.locator("[name=phone]")).to_have_value("13687654321")  # from the resident's own record
    fits(page)
    page.click("[data-testid=submit]")

    expect(page.locator("h1")).to_have_text("感谢您的反映")
    assert page.url == f"{live_server.url}/report/done/"
    number = page.locator("[data-testid=case-number]").inner_text()
    expect(page.locator("[data-testid=access-code]")).to_have_text(re.compile(r"^[A-Z0-9]{8}$"))
    fits(page)
    page.reload()  # a refresh shows the page again, never posts again, and the code is gone
    expect(page.locator("[data-testid=code-shown-once]")).to_be_visible()
    expect(page.locator("[data-testid=access-code]")).to_have_count(0)

    page.locator("nav.tabbar a", has_text="我的上报").click()
    expect(page.locator("h1")).to_have_text("我的上报")
    card = page.locator(f"[data-testid=my-report][data-number='{number}']")
    expect(card).to_contain_text("堆物堆料")
    expect(card.locator("[data-testid=my-report-status]")).to_have_text("已收到，等待受理")
    expect(card).to_contain_text("永先社区第1网格")
    assert not TIERS.search(page.locator("main").inner_text())
    fits(page)
    card.locator("a").click()
    expect(page.locator("[data-testid=track]")).to_contain_text(number)
    expect(page.locator("[data-testid=track]")).to_contain_text("楼道里堆满了纸箱")  # their own words, without the code

    from yiwang.cases.models import Case

    assert Case.objects.filter(number=number, reported_by=resident).count() == 1
