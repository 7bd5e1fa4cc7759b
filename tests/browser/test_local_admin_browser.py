"""Local administration in Chromium: a community admin opens 辖区账号 from the account page, makes a
grid worker's account for one of its grids, hands over the password shown once; the worker must
change it at first login. Then the admin resets it and the worker must change it again."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _log_out(page) -> None:
    page.locator("header form[action='/logout/'] button").click()
    page.wait_for_url(re.compile(r".*/(login/)?$"))


def _change_password(page, old: str, new: str) -> None:
    page.wait_for_url(re.compile(r".*/account/password/$"))
    page.fill("input[name=old_password]", old)
    page.fill("input[name=new_password1]", new)
    page.fill("input[name=new_password2]", new)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/account/password/done/$"))


def test_create_an_account_and_reset_its_password(page, live_server, tree, users):
    from yiwang.accounts.models import User

    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    _log_in(page, base, "community", "Yiwang-test-2026")
    page.wait_for_url(f"{base}/map/**")
    page.goto(f"{base}/account/security/")
    page.locator("main").get_by_role("link", name=re.compile("辖区账号")).click()
    expect(page.get_by_test_id("people")).to_contain_text("worker_a")
    page.get_by_test_id("person-new").click()

    # A name already taken is refused next to its field; the rest of the form stays filled.
    page.fill("input[name=username]", "worker_a")
    page.fill("input[name=full_name]", "周网格")
    page.select_option("select[name=role]", "grid_worker")
    page.select_option("select[name=scope_region]", label=f"{tree.grid_b.name}（网格）")
    page.get_by_role("button", name="创建账号").click()
    expect(page.locator("[data-field=username]")).to_contain_text("已被使用")
    expect(page.locator("input[name=full_name]")).to_have_value("周网格")
    page.fill("input[name=username]", "zhou_grid")
    page.get_by_role("button", name="创建账号").click()

    expect(page.get_by_test_id("shown-once")).to_contain_text("只显示这一次")
    first = page.get_by_test_id("temporary-password").inner_text()
    expect(page.get_by_test_id("account")).to_contain_text(tree.grid_b.name)
    page.reload()
    expect(page.get_by_test_id("temporary-password")).to_have_count(0)
    account = User.objects.get(username="zhou_grid")
    assert account.scope_region_id == tree.grid_b.pk and account.must_change_password

    _log_out(page)
    _log_in(page, base, "zhou_grid", first)
    _change_password(page, first, "Zhou-grid-2026!")

    _log_out(page)
    _log_in(page, base, "community", "Yiwang-test-2026")
    page.wait_for_url(f"{base}/map/**")
    page.goto(f"{base}/account/people/{account.pk}/")
    expect(page.get_by_test_id("account-status")).not_to_contain_text("须修改密码")
    page.get_by_test_id("reset-password").click()
    expect(page.get_by_test_id("shown-once")).to_contain_text("密码已重置")
    second = page.get_by_test_id("temporary-password").inner_text()
    assert second != first
    expect(page.get_by_test_id("account-status")).to_contain_text("下次登录须修改密码")

    page.goto(f"{base}/account/audit/?app=accounts")
    expect(page.get_by_test_id("audit-entries")).to_contain_text("accounts.reset_password")
    expect(page.get_by_test_id("audit-entries")).to_contain_text("accounts.create_account")

    _log_out(page)
    _log_in(page, base, "zhou_grid", "Zhou-grid-2026!")
    expect(page.locator("[data-testid=login-error]")).to_be_visible()
    _log_in(page, base, "zhou_grid", second)
    _change_password(page, second, "Zhou-grid-2027!")
