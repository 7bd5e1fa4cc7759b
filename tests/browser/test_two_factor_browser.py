"""A district user's first login in Chromium: password, binding the authenticator app with the secret the
page shows, the recovery codes, then the next login with a code computed here."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.two_factor, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def totp_code(secret_b32: str, *, ahead: int = 0) -> str:
    secret = secret_b32.replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key)
    totp.time = time.time() + 30 * ahead
    return f"{totp.token():06d}"


def password_step(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")


def test_district_login_asks_for_an_authenticator_code(page, live_server, tree, make_user):
    make_user("district_user", "district", tree.district)
    password_step(page, live_server, "district_user")
    page.wait_for_url(f"{live_server.url}/account/two-factor/enrol/")
    expect(page.locator("[data-testid=totp-qr]")).to_be_visible()
    secret = page.locator("[data-testid=totp-secret]").inner_text()
    page.fill("input[name=code]", totp_code(secret))
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=recovery-codes] li")).to_have_count(10)
    page.click("text=我已保存，继续")
    page.wait_for_url(f"{live_server.url}/map/**")
    expect(page.locator("[data-testid=who]")).to_contain_text("district_user")

    page.locator(".who button[type=submit]").click()
    page.wait_for_load_state()
    password_step(page, live_server, "district_user")
    page.wait_for_url(f"{live_server.url}/account/two-factor/verify/")
    page.fill("input[name=code]", "12345")
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=code-error]")).to_contain_text("验证码不正确")
    time.sleep(1.1)  # django-otp lets the next try in after a second
    # The code of the first login's time step is spent; the next step's is accepted too.
    page.fill("input[name=code]", totp_code(secret, ahead=1))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
    expect(page.locator("[data-testid=who]")).to_contain_text("district_user")
