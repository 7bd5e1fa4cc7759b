"""The phone shell at 375x812: a compact title bar, a bottom tab bar drawn from the role's menu with
big tap targets, the rest under 更多, and nothing wider than the screen."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 812}
PAGES = {"worker_a": ["/", "/cases/inbox/"], "community": ["/", "/cases/inbox/"], "resident": ["/", "/report/"]}
TABS = {"worker_a": ["待办", "上报", "巡查", "走访", "我的", "更多"], "community": ["待办", "上报", "事件", "一张图", "我的", "更多"],
        "resident": ["随手拍", "我的上报", "微心愿", "社区活动", "我的", "更多"]}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("username", ["worker_a", "community", "resident"])
def test_phone_shell(phone, live_server, tree, users, username):
    from playwright.sync_api import expect

    from yiwang.matters import catalogue

    catalogue.ensure()
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    for path in PAGES[username]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        tabbar = page.get_by_test_id("tabbar")
        expect(tabbar).to_be_visible()
        # The header menu is folded away: a title bar, not 265 px of links.
        expect(page.locator(".topbar nav.menu")).to_be_hidden()
        assert page.locator(".topbar").bounding_box()["height"] <= 56, path
        bar = tabbar.bounding_box()
        assert bar["y"] + bar["height"] == pytest.approx(PHONE["height"], abs=1) and bar["width"] <= PHONE["width"]
        tabs = tabbar.locator(":scope > a, summary")
        assert [t.strip() for t in tabs.locator(".tab-label").all_inner_texts()] == TABS[username]
        for box in (tabs.nth(i).bounding_box() for i in range(tabs.count())):
            assert box["height"] >= 44 and box["width"] >= 44
    # 更多 opens the rest of the role's menu above the bar, each a big target that leads somewhere it may go.
    page.get_by_text("更多", exact=True).click()
    sheet = page.locator(".more-sheet")
    expect(sheet).to_be_visible()
    first = sheet.locator("a").first
    assert first.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    href = first.get_attribute("href")
    first.click()
    page.wait_for_url(f"{live_server.url}{href}**")
    assert "403" not in page.title()


def test_the_desktop_keeps_its_header_menu(page, live_server, tree, users, login):
    from playwright.sync_api import expect

    login("worker_a")
    expect(page.get_by_test_id("tabbar")).to_be_hidden()
    expect(page.get_by_test_id("nav-inbox")).to_be_visible()
    expect(page.locator(".topbar nav.menu a", has_text="指挥中心")).to_have_count(0)
