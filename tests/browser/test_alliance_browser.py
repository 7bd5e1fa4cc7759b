"""The alliance on a phone, in Chromium: the street opens a need, makes it a project with a lead,
a cooperating unit and a milestone, and marks the milestone done; the page shows it done and the
project at 100%. Assertions are on the text a person reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.alliance import conftest as alliance_fixtures

# The alliance's fixtures (tests/alliance/conftest.py), made visible to this module.
departments = alliance_fixtures.departments
setup = alliance_fixtures.setup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_project_from_a_need_and_milestone_done_on_a_phone(browser, live_server, request):
    world = request.getfixturevalue("setup")
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "street")
        page.fill("input[name=password]", "Yiwang-test-2026")
        page.click("button[type=submit]")
        page.wait_for_load_state()

        page.goto(f"{live_server.url}/alliance/{world.alliance.pk}/")
        expect(page.get_by_test_id("alliance-name")).to_have_text("云枫街道党建联盟")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.get_by_role("link", name="独居老人燃气安全").click()
        expect(page.get_by_test_id("need-status")).to_have_text("待认领")

        form = page.get_by_test_id("project-form")
        form.locator("input[name=title]").fill("燃气安全进万家")
        form.locator("select[name=lead]").select_option(label="燃气公司")
        form.get_by_label("供电公司", exact=True).check()
        form.locator("input[name=milestone_1_title]").fill("上门检查灶具")
        form.locator("input[name=milestone_1_due_on]").fill((date.today() + timedelta(days=7)).isoformat())
        form.get_by_role("button", name="立项").click()

        expect(page.get_by_test_id("project-title")).to_have_text("燃气安全进万家")
        expect(page.get_by_test_id("lead")).to_have_text("燃气公司")
        expect(page.get_by_test_id("progress")).to_have_text("进度 0%")
        # Nothing is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        milestones = page.get_by_test_id("milestones")
        milestones.get_by_label("完成情况").fill("已检查40户")
        milestones.get_by_role("button", name="标记完成").click()
        expect(page.get_by_test_id("milestone-done")).to_contain_text("已完成")
        expect(page.get_by_test_id("progress")).to_have_text("进度 100%")
        expect(page.get_by_test_id("project-status")).to_have_text("已完成")
        expect(page.get_by_text("节点“上门检查灶具”已完成")).to_be_visible()
    finally:
        context.close()
