"""TOTP second factor: required for district, street and superusers by default; recovery codes work once."""

import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.accounts.models import LoginEvent

PASSWORD = "Yiwang-test-2026"
pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]


def code_for(device, *, ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():06d}"


def password_step(client, username):
    return client.post("/login/", {"username": username, "password": PASSWORD})


def enrolled_device(client, username):
    """Log in with the password, enrol on the page, return the device and the recovery codes."""
    page = password_step(client, username)
    assert page.status_code == 302 and page["Location"] == "/account/two-factor/enrol/"
    assert "_auth_user_id" not in client.session  # the password alone logs no one in
    enrol = client.get("/account/two-factor/enrol/")
    assert enrol.status_code == 200 and 'src="data:image/svg+xml' in enrol.content.decode()
    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    done = client.post("/account/two-factor/enrol/", {"code": code_for(device)})
    codes = re.findall(r'<strong class="mono">([a-z2-7]{4}-[a-z2-7]{4})</strong>', done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


def test_required_by_default_for_district_street_and_superusers_only(client, users, make_user, tree, settings):
    assert settings.YIWANG_2FA_ROLES == ("district", "street", "admin")
    root = make_user("root", "community", tree.community, is_superuser=True)
    for user in (users["district"], users["street"], root):
        client.logout()
        page = password_step(client, user.username)
        assert page["Location"] == "/account/two-factor/enrol/", user.username
        assert "_auth_user_id" not in client.session
        # Nothing opens on the password alone.
        assert client.get("/map/")["Location"].startswith("/login/")
        assert client.get("/api/me").status_code == 401
    for name in ("community", "worker_a", "department", "resident"):
        client.logout()
        assert password_step(client, name)["Location"] == "/", name
        assert client.session["_auth_user_id"] == str(users[name].pk)


def test_enrol_then_log_in_with_a_code_and_with_a_recovery_code_once(client, users):
    device, codes = enrolled_device(client, "street")
    assert client.get("/cases/").status_code == 200  # logged in, verified
    assert client.get("/api/me").json()["username"] == "street"
    assert LoginEvent.objects.filter(kind="otp_enrolled", user=users["street"]).exists()
    client.post("/logout/")

    # Next time: password, then the app's code (a code already used is refused: the next step's works).
    assert password_step(client, "street")["Location"] == "/account/two-factor/verify/"
    wrong = client.post("/account/two-factor/verify/", {"code": "000000" if code_for(device, ahead=1) != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode() and "_auth_user_id" not in client.session
    assert LoginEvent.objects.filter(kind="otp_failure", user=users["street"]).count() == 1
    device.refresh_from_db()
    device.throttle_reset()  # django-otp waits a second after a failure
    assert client.post("/account/two-factor/verify/", {"code": code_for(device, ahead=1)})["Location"] == "/"
    assert client.session["_auth_user_id"] == str(users["street"].pk)
    client.post("/logout/")

    # A recovery code instead of the phone: once.
    password_step(client, "street")
    used = client.post("/account/two-factor/verify/", {"code": codes[0].upper()}, follow=True)
    assert "还剩 9 个" in used.content.decode()
    assert LoginEvent.objects.filter(kind="recovery_used", user=users["street"]).exists()
    client.post("/logout/")
    password_step(client, "street")
    again = client.post("/account/two-factor/verify/", {"code": codes[0]})
    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_a_session_without_the_second_factor_is_ended(client, users):
    # force_login stands for any way round the login page (the admin's own login, a session from
    # before the role required a second factor).
    client.force_login(users["district"])
    page = client.get("/cases/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    client.force_login(users["district"])
    assert client.get("/api/me").status_code == 401
    # The admin's login page sends users to ours.
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/login/?next=/admin/"


def test_admin_resets_a_lost_phone_and_the_user_enrols_again(client, users, make_user, tree):
    enrolled_device(client, "street")
    client.post("/logout/")
    district_admin = make_user("district_admin", "district", tree.district)
    other = client.__class__()
    other.force_login(district_admin)
    # The district admin would need a second factor too: turn it off for this client by verifying.
    device = TOTPDevice.objects.create(user=district_admin, name="default", confirmed=True)
    session = other.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    done = other.post("/account/logins/reset-2fa/", {"username": "street"}, follow=True)
    assert "已重置 street 的两步验证" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=users["street"]).exists()
    assert password_step(client, "street")["Location"] == "/account/two-factor/enrol/"


def test_a_role_without_the_requirement_may_enrol_and_is_then_asked(client, users):
    client.force_login(users["community"])
    client.get("/account/two-factor/enrol/")
    device = TOTPDevice.objects.get(user=users["community"])
    client.post("/account/two-factor/enrol/", {"code": code_for(device)})
    client.post("/logout/")
    assert password_step(client, "community")["Location"] == "/account/two-factor/verify/"


def test_security_page_shows_the_state_makes_new_codes_and_keeps_a_required_factor_on(client, users):
    _, old_codes = enrolled_device(client, "street")
    page = client.get("/account/security/").content.decode()
    assert "剩余恢复码 10 个" in page and "登录成功" in page and "关闭两步验证" not in page
    fresh = client.post("/account/two-factor/recovery-codes/").content.decode()
    new_codes = re.findall(r'<strong class="mono">([a-z2-7]{4}-[a-z2-7]{4})</strong>', fresh)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    refused = client.post("/account/two-factor/off/", follow=True).content.decode()
    assert "不能关闭" in refused and TOTPDevice.objects.filter(user=users["street"], confirmed=True).exists()
    client.post("/logout/")
    password_step(client, "street")
    assert client.post("/account/two-factor/verify/", {"code": old_codes[1]}).status_code == 200  # old codes are void
    StaticDevice.objects.filter(user=users["street"]).update(throttling_failure_count=0)  # no second's wait
    assert client.post("/account/two-factor/verify/", {"code": new_codes[1]}).status_code == 302


def test_demo_accounts_use_the_published_secret(client, users):
    from base64 import b32decode

    from yiwang.accounts import twofactor
    from yiwang.demo.logins import DEMO_TOTP_SECRET

    twofactor.enrol_known_secret(user=users["district"], secret_b32=DEMO_TOTP_SECRET)
    assert twofactor.has_secret(users["district"], DEMO_TOTP_SECRET)
    assert password_step(client, "district")["Location"] == "/account/two-factor/verify/"
    totp = TOTP(b32decode(DEMO_TOTP_SECRET))
    assert client.post("/account/two-factor/verify/", {"code": f"{totp.token():06d}"})["Location"] == "/"


def test_new_recovery_codes_keep_a_session_that_logged_in_with_one(client, users):
    _, codes = enrolled_device(client, "street")
    client.post("/logout/")
    password_step(client, "street")
    assert client.post("/account/two-factor/verify/", {"code": codes[2]})["Location"] == "/account/security/"
    assert client.post("/account/two-factor/recovery-codes/").status_code == 200
    assert client.get("/cases/").status_code == 200  # still logged in, still verified


def test_the_page_asked_for_before_login_opens_after_the_second_factor(client, users):
    device, _ = enrolled_device(client, "street")
    client.post("/logout/")
    page = client.post("/login/?next=/cases/inbox/", {"username": "street", "password": PASSWORD, "next": "/cases/inbox/"})
    assert page["Location"] == "/account/two-factor/verify/"
    assert client.post("/account/two-factor/verify/", {"code": code_for(device, ahead=1)})["Location"] == "/cases/inbox/"


def test_the_demo_binds_its_2fa_logins_to_the_printed_secret(client, tree):
    from yiwang.accounts import twofactor
    from yiwang.accounts.models import User
    from yiwang.demo.logins import DEMO_PASSWORD, DEMO_TOTP_SECRET, create_logins, existing_logins

    rows = {row.username: row for row in create_logins(grid_workers={})}
    assert {name for name, row in rows.items() if row.totp == DEMO_TOTP_SECRET} == {"admin", "district", "street", "street_b"}
    assert {row.username for row in existing_logins() if row.totp} == {"admin", "district", "street", "street_b"}
    assert twofactor.has_secret(User.objects.get(username="street_b"), DEMO_TOTP_SECRET)
    client.post("/login/", {"username": "community", "password": DEMO_PASSWORD})
    assert client.session["_auth_user_id"] == str(User.objects.get(username="community").pk)
