"""Session limits, forced password change, password rules, HTTPS settings, API answers."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from yiwang.accounts.models import LoginEvent
from yiwang.accounts.signals import LOGIN_AT, SEEN_AT

PASSWORD = "Yiwang-test-2026"


def age_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"login": LOGIN_AT, "seen": SEEN_AT}[key]] = now - ago
    session.save()


@pytest.mark.django_db
def test_staff_are_logged_out_after_30_idle_minutes(client, users, settings):
    assert settings.YIWANG_SESSION_IDLE_MINUTES == 30
    client.post("/login/", {"username": "worker_a", "password": PASSWORD})
    assert client.get("/cases/").status_code == 200
    age_session(client, seen=29 * 60)
    assert client.get("/cases/").status_code == 200  # activity keeps it open
    age_session(client, seen=31 * 60)
    page = client.get("/cases/?state=open")
    assert page.status_code == 302 and page["Location"] == "/login/?next=%2Fcases%2F%3Fstate%3Dopen"
    assert "_auth_user_id" not in client.session
    assert LoginEvent.objects.filter(kind="expired", user=users["worker_a"], detail="idle").exists()
    assert "30 分钟未操作" in client.get(page["Location"]).content.decode()


@pytest.mark.django_db
def test_staff_sessions_end_12_hours_after_login_however_active(client, users, settings):
    assert settings.YIWANG_SESSION_MAX_HOURS == 12
    client.post("/login/", {"username": "worker_a", "password": PASSWORD})
    assert 11.9 * 3600 < client.session.get_expiry_age() <= 12 * 3600
    age_session(client, login=12 * 3600 + 5, seen=10)
    assert client.get("/cases/").status_code == 302
    assert client.get("/api/me").status_code == 401


@pytest.mark.django_db
def test_residents_keep_their_session_longer(client, users, settings):
    client.post("/login/", {"username": "resident", "password": PASSWORD})
    assert client.session.get_expiry_age() > 13 * 86400
    age_session(client, login=3 * 86400, seen=2 * 86400)
    assert client.get("/").status_code == 302 and "_auth_user_id" in client.session  # to the wishes, still logged in
    age_session(client, login=settings.YIWANG_RESIDENT_SESSION_DAYS * 86400 + 1)
    client.get("/")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_account_flagged_by_its_admin_changes_its_password_first(client, users):
    admin = client.__class__()
    admin.force_login(users["community"])
    admin.post("/account/logins/require-password-change/", {"username": "worker_a"})
    users["worker_a"].refresh_from_db()
    assert users["worker_a"].must_change_password

    client.post("/login/", {"username": "worker_a", "password": PASSWORD})
    assert client.get("/cases/")["Location"] == "/account/password/"
    assert client.get("/api/me").status_code == 403
    form = client.get("/account/password/").content.decode()
    assert "管理员要求您修改密码" in form
    weak = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": "abcdefghijk", "new_password2": "abcdefghijk"})
    assert weak.status_code == 200 and "至少 3 类" in weak.content.decode()
    done = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": "Grid-Worker-77", "new_password2": "Grid-Worker-77"})
    assert done["Location"] == "/account/password/done/"
    users["worker_a"].refresh_from_db()
    assert not users["worker_a"].must_change_password and users["worker_a"].check_password("Grid-Worker-77")
    assert client.get("/cases/").status_code == 200  # still logged in
    assert LoginEvent.objects.filter(kind="password_changed", user=users["worker_a"]).exists()


def test_password_rules_ask_for_three_kinds_of_characters():
    with pytest.raises(ValidationError):
        validate_password("correcthorsebattery")
    with pytest.raises(ValidationError):
        validate_password("12345678901")
    validate_password("Yiwang@2026")  # the demo's
    validate_password("Yiwang-test-2026")  # the tests'


def _settings_with(env: dict) -> dict:
    code = ("import json, yiwang.settings as s; print(json.dumps({k: getattr(s, k, None) for k in "
            "['SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER']}))")
    clean = {k: v for k, v in os.environ.items() if k not in ("YIWANG_HTTPS", "YIWANG_SECURE_COOKIES")}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_yiwang_https_turns_on_hsts_secure_cookies_redirect_and_the_proxy_header():
    off = _settings_with({})
    assert off == {"SECURE_SSL_REDIRECT": None, "SECURE_HSTS_SECONDS": None, "SESSION_COOKIE_SECURE": False,
                   "CSRF_COOKIE_SECURE": False, "SECURE_PROXY_SSL_HEADER": None}
    on = _settings_with({"YIWANG_HTTPS": "1"})
    assert on["SECURE_SSL_REDIRECT"] is True and on["SECURE_HSTS_SECONDS"] >= 180 * 86400
    assert on["SESSION_COOKIE_SECURE"] is True and on["CSRF_COOKIE_SECURE"] is True
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.django_db
def test_https_redirects_plain_requests_but_not_the_health_check(client, tree, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    assert client.get("/login/")["Location"] == "https://testserver/login/"
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_api_writes_answer_401_to_strangers_and_keep_csrf_for_sessions(users):
    from django.test import Client

    from yiwang.accounts.services import issue_token

    client = Client(enforce_csrf_checks=True)
    anonymous = client.post("/api/tokens", {"name": "x"}, content_type="application/json")
    assert anonymous.status_code == 401
    client.force_login(users["worker_a"])
    assert client.post("/api/tokens", {"name": "x"}, content_type="application/json").status_code == 403  # no CSRF token
    client.logout()
    token, key = issue_token(user=users["worker_a"], name="terminal", acting_user=users["worker_a"])
    bearer = Client(enforce_csrf_checks=True)
    assert bearer.delete(f"/api/tokens/{token.pk}", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


@pytest.mark.django_db
def test_an_expired_session_sends_htmx_to_the_login_page_as_a_whole(client, users):
    client.post("/login/", {"username": "worker_a", "password": PASSWORD})
    age_session(client, seen=31 * 60)
    fragment = client.get("/cases/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Redirect"].startswith("/login/")


def test_client_address_reads_forwarded_for_from_the_right(settings):
    from django.test import RequestFactory

    from yiwang.accounts.addresses import client_address

    settings.YIWANG_TRUSTED_PROXIES = ["10.0.0.1", "fd00::/8"]
    factory = RequestFactory()

    def address(peer, forwarded=None):
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        return client_address(factory.get("/", REMOTE_ADDR=peer, **extra))

    assert address("10.0.0.1", "2001:db8::7, fd00::2") == "2001:db8::7"
    assert address("10.0.0.1", "198.51.100.3:5123") == "198.51.100.3"
    assert address("10.0.0.1", "[2001:db8::9]:443") == "2001:db8::9"
    assert address("10.0.0.1", "not-an-address") == "10.0.0.1"  # garbage: stop at the proxy
    assert address("10.0.0.1", "") == "10.0.0.1"
    assert address("10.0.0.2", "198.51.100.3") == "10.0.0.2"  # not a trusted proxy


def test_a_mistyped_role_or_proxy_is_an_error_not_a_silent_hole(settings):
    from yiwang.accounts.checks import trusted_proxies, two_factor_roles

    settings.YIWANG_2FA_ROLES = ("district", "street", "admin")
    settings.YIWANG_TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]
    assert two_factor_roles(None) == [] and trusted_proxies(None) == []
    settings.YIWANG_2FA_ROLES = ("District", "street")
    settings.YIWANG_TRUSTED_PROXIES = ["proxy.local"]
    assert [e.id for e in two_factor_roles(None)] == ["yiwang.E010"]
    assert [e.id for e in trusted_proxies(None)] == ["yiwang.E011"]
