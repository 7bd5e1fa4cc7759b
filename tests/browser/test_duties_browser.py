"""Approving a list change, as people do it in Chromium: the street proposes a new item on its
statutory list, the district opens the proposal on a phone, reads the diff, approves, and the list
page then shows the new item under the new version number."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _catalogue():
    # See tests/browser/test_cases_browser.py: a transactional test may start without the seeded catalogue.
    from yiwang.matters import catalogue

    catalogue.ensure()


@pytest.fixture
def statutory(tree):
    from yiwang.duties import services

    return services.create_list(region=tree.street, kind="street_statutory", acting_user=None, name="云枫街道法定职责事项清单", rows=[
        {"key": "FD-001", "title": "负责辖区矛盾纠纷排查调处", "owner_unit": "平安法治办公室", "matter_types": "S0001"},
        {"key": "FD-002", "title": "负责辖区消防安全检查", "owner_unit": "应急管理办公室", "matter_types": "S0003"},
    ])


def sign_in(browser, live_server, username: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
    return context, page


def test_street_proposes_district_approves_on_a_phone(browser, live_server, users, statutory):
    street_context, street = sign_in(browser, live_server, "street", {"width": 1280, "height": 860})
    district_context, district = sign_in(browser, live_server, "district", {"width": 375, "height": 800})
    try:
        # The street proposes a new item from its list page.
        street.goto(f"{live_server.url}/duties/")
        street.get_by_role("link", name="云枫街道法定职责事项清单").click()
        expect(street.get_by_test_id("version-number")).to_have_text("第1版")
        street.get_by_test_id("propose").click()
        row = street.locator("fieldset.change-row").first
        row.get_by_test_id("row-op").select_option("add")
        row.get_by_test_id("row-key").fill("FD-003")
        row.get_by_test_id("row-title").fill("负责辖区电动自行车充电安全管理")
        row.get_by_test_id("row-owner").fill("应急管理办公室")
        row.get_by_test_id("row-matters").fill("S0004")
        street.get_by_test_id("reason").fill("区编办2026年清单动态调整通知")
        street.get_by_test_id("submit").click()
        expect(street.get_by_test_id("version-status")).to_have_text("待审批")
        expect(street.get_by_test_id("no-decide")).to_contain_text("须由上级审批")

        # The district finds it waiting, reads what would change, and approves it.
        district.goto(f"{live_server.url}/duties/")
        pending = district.get_by_test_id("pending")
        expect(pending).to_contain_text("待您审批")
        pending.get_by_role("link", name="云枫街道法定职责事项清单 第2版").click()
        expect(district.get_by_test_id("reason")).to_have_text("区编办2026年清单动态调整通知")
        added = district.get_by_test_id("diff-added")
        expect(added).to_contain_text("FD-003")
        expect(added).to_contain_text("负责辖区电动自行车充电安全管理")
        expect(added).to_contain_text("S0004 电动车违规充电")
        expect(district.get_by_test_id("diff")).to_contain_text("新增 1 项 · 删除 0 项 · 修改 0 项 · 未变 2 项")
        # Nothing on the phone-sized page is wider than the screen.
        assert district.evaluate("document.documentElement.scrollWidth") <= 375
        district.get_by_test_id("decide").locator("textarea[name=note]").first.fill("同意")
        district.get_by_test_id("approve").click()

        expect(district.get_by_test_id("messages")).to_contain_text("已批准：云枫街道法定职责事项清单第2版现已生效")
        expect(district.get_by_test_id("version-number")).to_have_text("第2版")
        new_row = district.locator("tr[data-key='FD-003']")
        expect(new_row).to_contain_text("负责辖区电动自行车充电安全管理")
        expect(new_row).to_contain_text("应急管理办公室")

        # The street sees the same list now.
        street.goto(f"{live_server.url}/duties/{statutory.pk}/")
        expect(street.get_by_test_id("version-number")).to_have_text("第2版")
        expect(street.locator("tr[data-key='FD-003']")).to_contain_text("电动车违规充电")
    finally:
        street_context.close()
        district_context.close()
