"""Login throttling that an attacker cannot turn against users (django-axes, per username and client address)."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.accounts.models import LoginEvent
from yiwang.accounts.twofactor import PENDING_KEY

PASSWORD = "Yiwang-test-2026"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.77"


def login(client, username, password, address=ATTACKER, **extra):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def logged_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_failures_for_unknown_names_from_one_address_block_no_real_account(client, users):
    for i in range(20):
        page = login(client, f"nobody{i % 7}" if i % 4 else "district", "guess")
        assert page.status_code in (200, 429)
    # Failures for unknown names lock no real account, even from the address that made them.
    assert not AccessAttempt.objects.filter(username__in=[u.username for u in users.values()]).exclude(username="district").exists()
    for name in ("community", "street", "worker_a"):
        client.logout()
        page = login(client, name, PASSWORD)
        assert page.status_code == 302, name
        assert logged_in_as(client) == str(users[name].pk)
    # The five failures for district lock that address out of that name only.
    client.logout()
    assert login(client, "district", PASSWORD).status_code == 429
    assert login(client, "district", PASSWORD, address=OWNER).status_code == 302
    assert logged_in_as(client) == str(users["district"].pk)


@pytest.mark.django_db
def test_an_address_attacking_a_name_locks_itself_out_and_the_lock_lifts_by_itself(client, users, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert login(client, "worker_a", "wrong").status_code == 200
    # The third failure locks the name, and the page says so at once.
    assert "锁定" in login(client, "worker_a", "wrong").content.decode()
    page = login(client, "worker_a", PASSWORD)
    assert page.status_code == 429 and logged_in_as(client) is None
    text = page.content.decode()
    assert "锁定" in text and "15 分钟" in text and 'name="username"' in text  # the login page, saying why
    # Trying during the lock does not prolong it.
    login(client, "worker_a", "wrong-again")
    # The neighbour logs in from the same address.
    assert login(client, "worker_b", PASSWORD).status_code == 302
    client.logout()
    # Still locked for that address: only one (username, address) row, whatever was tried during the lock.
    assert login(client, "worker_a", PASSWORD).status_code == 429
    assert AccessAttempt.objects.filter(username="worker_a").count() == 1
    # After the window the lock lifts by itself.
    AccessAttempt.objects.filter(username="worker_a").update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert login(client, "worker_a", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(users["worker_a"].pk)
    # Success clears the failures.
    assert not AccessAttempt.objects.filter(username="worker_a").exists()


@pytest.mark.django_db
@pytest.mark.two_factor
def test_failures_from_one_address_lock_only_that_address_out_of_the_name(client, users, settings):
    assert settings.AXES_FAILURE_LIMIT == 5 and "district" in settings.YIWANG_2FA_ROLES
    for _ in range(5):
        assert login(client, "district", "wrong").status_code in (200, 429)
    # Address A is locked out of district, even with the right password.
    page = login(client, "district", PASSWORD)
    assert page.status_code == 429 and "锁定" in page.content.decode()
    assert "_auth_user_id" not in client.session and PENDING_KEY not in client.session
    # The owner, from address B with the right password, gets to the second factor as usual.
    owner = client.__class__()
    page = login(owner, "district", PASSWORD, address=OWNER)
    assert page.status_code == 302 and page["Location"] == "/account/two-factor/enrol/"
    assert "_auth_user_id" not in owner.session  # the password alone logs no one in
    assert owner.get("/account/two-factor/enrol/", REMOTE_ADDR=OWNER).status_code == 200
    device = TOTPDevice.objects.get(user=users["district"], confirmed=False)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    done = owner.post("/account/two-factor/enrol/", {"code": f"{totp.token():06d}"}, REMOTE_ADDR=OWNER)
    assert done.status_code == 200 and owner.session["_auth_user_id"] == str(users["district"].pk)
    # The attacker's address stays locked out of the name.
    assert login(client, "district", PASSWORD).status_code == 429
    assert set(LoginEvent.objects.filter(username="district").values_list("kind", "address")) >= {
        ("failure", ATTACKER), ("locked", ATTACKER), ("refused", ATTACKER)}
    assert set(LoginEvent.objects.filter(username="district", address=OWNER).values_list("kind", flat=True)) == {"success", "otp_enrolled"}


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_lock_follows_the_clients_address(client, users, settings):
    settings.YIWANG_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.AXES_FAILURE_LIMIT = 3
    proxy = "10.0.0.5"
    for _ in range(3):
        login(client, "worker_a", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    # axes counts the address client_address gives, not the proxy's.
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [("worker_a", "198.51.100.20")]
    # The attacker cannot write its way out of the lock: the proxy appends the address it saw.
    assert login(client, "worker_a", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.20").status_code == 429
    # Another client behind the same proxy logs in.
    assert login(client, "worker_a", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.21").status_code == 302
    assert logged_in_as(client) == str(users["worker_a"].pk)


@pytest.mark.django_db
def test_the_accounts_scoped_admin_lifts_the_lock_earlier_and_no_one_else(client, users, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for name in ("worker_a", "street"):
        for _ in range(3):
            login(client, name, "wrong")
    for _ in range(3):
        login(client, "worker_a", "wrong", address=OWNER)
    assert login(client, "worker_a", PASSWORD).status_code == 429
    assert login(client, "worker_a", PASSWORD, address=OWNER).status_code == 429

    admin = client.__class__()
    admin.force_login(users["community"])
    page = admin.get("/account/logins/")
    locked = page.content.decode()
    assert page.status_code == 200 and "worker_a" in locked
    # The street account is outside a community admin's reach: not listed, not unlockable.
    assert "<td>street</td>" not in locked
    refused = admin.post("/account/logins/unlock/", {"username": "street"}, follow=True)
    assert "用户名：street 不存在或不在您的管理范围内" in refused.content.decode()
    assert login(client, "street", PASSWORD).status_code == 429

    done = admin.post("/account/logins/unlock/", {"username": "worker_a"}, follow=True)
    assert "已解锁 worker_a" in done.content.decode()
    # The unlock clears the name's failures from every address, and only that name's.
    assert not AccessAttempt.objects.filter(username="worker_a").exists()
    assert AccessAttempt.objects.filter(username="street").exists()
    assert login(client, "worker_a", PASSWORD).status_code == 302
    client.logout()
    assert login(client, "worker_a", PASSWORD, address=OWNER).status_code == 302
    assert LoginEvent.objects.filter(kind="unlocked", user=users["worker_a"], actor=users["community"]).exists()

    # A grid worker has no login log at all.
    worker = client.__class__()
    worker.force_login(users["worker_b"])
    assert worker.get("/account/logins/").status_code == 403
    assert worker.post("/account/logins/unlock/", {"username": "worker_a"}).status_code == 403


@pytest.mark.django_db
def test_success_failure_and_lock_are_logged_with_their_address(client, users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    login(client, "ghost", "x", address="198.51.100.1")
    login(client, "worker_a", "wrong", address="198.51.100.2")
    login(client, "worker_a", "wrong", address="198.51.100.3")  # another address: counted apart
    login(client, "worker_a", "wrong", address="198.51.100.2")
    login(client, "worker_a", PASSWORD, address="198.51.100.2")
    login(client, "worker_b", PASSWORD, address="198.51.100.5", HTTP_USER_AGENT="Test/1.0")
    rows = list(LoginEvent.objects.order_by("pk").values_list("kind", "username", "user__username", "address"))
    assert sorted(rows[:6]) == sorted([
        ("failure", "ghost", None, "198.51.100.1"),
        ("failure", "worker_a", "worker_a", "198.51.100.2"),
        ("failure", "worker_a", "worker_a", "198.51.100.3"),
        ("failure", "worker_a", "worker_a", "198.51.100.2"),
        ("locked", "worker_a", "worker_a", "198.51.100.2"),
        ("refused", "worker_a", "worker_a", "198.51.100.2"),
    ])
    assert rows[6] == ("success", "worker_b", "worker_b", "198.51.100.5")
    assert LoginEvent.objects.get(kind="success").user_agent == "Test/1.0"


@pytest.mark.django_db
def test_forwarded_for_is_believed_only_from_a_trusted_proxy(client, users, settings):
    spoofed = {"HTTP_X_FORWARDED_FOR": "192.0.2.99"}
    login(client, "worker_a", "wrong", address="198.51.100.8", **spoofed)
    assert LoginEvent.objects.get().address == "198.51.100.8"

    settings.YIWANG_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client's own header comes first; each trusted proxy appends the address it saw.
    login(client, "worker_a", "wrong", address="10.0.0.5", HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.20, 10.1.2.3")
    assert LoginEvent.objects.latest("pk").address == "198.51.100.20"
    # An untrusted peer's header is still ignored.
    login(client, "worker_a", "wrong", address="198.51.100.9", **spoofed)
    assert LoginEvent.objects.latest("pk").address == "198.51.100.9"


@pytest.mark.django_db
def test_login_log_shows_a_scoped_admin_only_their_accounts(client, users, make_user, tree):
    login(client, "worker_a", "wrong")
    login(client, "district", "wrong")
    login(client, "no-such-user", "wrong")
    client.force_login(users["community"])
    page = client.get("/account/logins/").content.decode()
    assert "worker_a" in page and "<td>district</td>" not in page and "no-such-user" not in page
    filtered = client.get("/account/logins/", {"username": "worker_a", "kind": "failure"})
    assert filtered.status_code == 200 and "worker_a" in filtered.content.decode()

    root = make_user("root", "district", tree.district, is_superuser=True)
    client.force_login(root)
    page = client.get("/account/logins/").content.decode()
    assert "no-such-user" in page and "<td>district</td>" in page


@pytest.mark.django_db
def test_login_events_are_kept_for_the_retention_and_then_pruned(users, settings):
    from django.core.management import call_command
    from django.utils import timezone

    from yiwang.core.jobs import run_jobs

    now = timezone.now()
    for days in (1, 179, 181, 400):
        LoginEvent.objects.create(kind="success", username="worker_a", at=now - timedelta(days=days))
    assert settings.YIWANG_LOGIN_LOG_DAYS == 180
    call_command("prune_logins", stdout=io.StringIO())
    assert sorted((now - e.at).days for e in LoginEvent.objects.all()) == [1, 179]
    settings.YIWANG_LOGIN_LOG_DAYS = 30
    assert run_jobs(now=now)["accounts.prune_login_events"] == 1
    assert LoginEvent.objects.count() == 1


def test_the_lockout_answer_without_a_page_still_says_why(rf):
    from django.contrib.auth.models import AnonymousUser

    from yiwang.accounts.views import lockout_response

    request = rf.post("/login/")
    request.user = AnonymousUser()
    response = lockout_response(request, None)
    assert response.status_code == 429 and "锁定" in response.content.decode()
