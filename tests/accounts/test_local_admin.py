"""Local administration: district, street and community admins make and keep their own people's
accounts and read their scope's audit log, without the superuser."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yiwang.accounts import selectors, services
from yiwang.accounts.models import User
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour(tree):
    from yiwang.regions.models import Level, Region

    community = Region.objects.create(parent=tree.street, level=Level.COMMUNITY, code="500154003002", name="邻近社区")
    grid = Region.objects.create(parent=community, level=Level.GRID, code="500154003002001", name="邻近社区第1网格")
    return community, grid


def test_community_admin_creates_a_grid_worker_in_its_grid(users, tree):
    account, password = services.create_account(acting_user=users["community"], username="wg_new", role="grid_worker",
                                                 scope_region=tree.grid_a, full_name="王网格")
    account.refresh_from_db()
    assert (account.role, account.scope_region, account.first_name) == ("grid_worker", tree.grid_a, "王网格")
    assert account.check_password(password) and account.must_change_password and account.is_active
    entry = AuditEntry.objects.get(action="accounts.create_account")
    assert (entry.actor, entry.target_id, entry.detail["region_path"]) == (users["community"], str(account.pk), tree.grid_a.path)


def test_community_admin_cannot_create_in_a_neighbour_community_nor_a_street_account(users, tree, neighbour):
    with pytest.raises(ValidationError) as refused:
        services.create_account(acting_user=users["community"], username="wg_x", role="grid_worker", scope_region=neighbour[1])
    assert "scope_region" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.create_account(acting_user=users["community"], username="st_x", role="street", scope_region=tree.street)
    assert "role" in refused.value.message_dict
    for role in ("district", "department"):
        with pytest.raises(ValidationError) as refused:
            services.create_account(acting_user=users["street"], username=f"{role}_x", role=role, scope_region=tree.district)
        assert "role" in refused.value.message_dict
    assert not User.objects.filter(username__in=["wg_x", "st_x", "district_x", "department_x"]).exists()


def test_roles_sit_at_their_level(users, tree):
    with pytest.raises(ValidationError) as refused:
        services.create_account(acting_user=users["street"], username="c_x", role="community", scope_region=tree.grid_a)
    assert "社区" in refused.value.message_dict["scope_region"][0]
    account, _ = services.create_account(acting_user=users["street"], username="c_ok", role="community", scope_region=tree.community)
    assert account.role == "community"
    dept, _ = services.create_account(acting_user=users["district"], username="dept_ok", role="department",
                                      scope_region=tree.district, unit="城管执法局")
    assert dept.role == "department"


def test_bad_input_names_the_field(users, tree):
    with pytest.raises(ValidationError) as refused:
        services.create_account(acting_user=users["community"], username="worker_a", role="grid_worker", scope_region=tree.grid_a)
    assert "已被使用" in refused.value.message_dict["username"][0]
    with pytest.raises(ValidationError) as refused:
        services.create_account(acting_user=users["community"], username="wg_weak", role="grid_worker", scope_region=tree.grid_a,
                                password="12345678")
    assert refused.value.message_dict["password"]
    with pytest.raises(ValidationError) as refused:
        services.create_account(acting_user=users["community"], username="bad name!", role="grid_worker", scope_region=tree.grid_a)
    assert "username" in refused.value.message_dict


def test_reset_forces_a_change_at_next_login(client, users, tree):
    worker = users["worker_a"]
    password = services.reset_password(acting_user=users["community"], user=worker)
    worker.refresh_from_db()
    assert worker.must_change_password and worker.check_password(password)
    client.post("/login/", {"username": "worker_a", "password": password})
    response = client.get("/cases/inbox/")
    assert response.status_code == 302 and response["Location"] == "/account/password/"
    assert AuditEntry.objects.filter(action="accounts.reset_password", target_id=str(worker.pk)).exists()


def test_deactivated_account_cannot_log_in(client, users):
    services.set_account_active(acting_user=users["community"], user=users["worker_a"], active=False)
    response = client.post("/login/", {"username": "worker_a", "password": "Yiwang-test-2026"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    services.set_account_active(acting_user=users["community"], user=users["worker_a"], active=True)
    response = client.post("/login/", {"username": "worker_a", "password": "Yiwang-test-2026"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(users["worker_a"].pk)
    assert list(AuditEntry.objects.filter(target_id=str(users["worker_a"].pk)).values_list("action", flat=True).order_by("pk")) == [
        "accounts.deactivate", "accounts.activate"]


def test_nobody_administers_above_or_outside_themselves(users, tree, neighbour, make_user):
    other = make_user("other_worker", "grid_worker", neighbour[1])
    for target in (users["street"], users["district"], users["community"], other, users["department"]):
        assert not services.may_administer(users["community"], target)
        with pytest.raises(PermissionDenied):
            services.reset_password(acting_user=users["community"], user=target)
    assert services.may_administer(users["street"], other)


def test_the_list_is_the_subtree(users, tree, neighbour, make_user):
    make_user("other_worker", "grid_worker", neighbour[1])
    names = set(selectors.local_accounts(users["community"]).values_list("username", flat=True))
    assert names == {"community", "worker_a", "worker_b"}
    assert "other_worker" in set(selectors.local_accounts(users["street"]).values_list("username", flat=True))
    assert not selectors.local_accounts(users["worker_a"]).exists()


def test_audit_log_of_a_scope(users, tree, neighbour, make_user):
    from yiwang.core import audit

    other = make_user("other_community", "community", neighbour[0])
    audit.record(actor=users["worker_a"], action="gridwork.patrol", target_type="gridwork.patrollog")
    audit.record(actor=other, action="gridwork.patrol", target_type="gridwork.patrollog")
    audit.record(actor=users["district"], action="accounts.unlock", target=users["worker_b"])
    audit.record(actor=users["district"], action="forces.add_shift", target_type="forces.dutyshift", detail={"region_path": tree.grid_a.path})
    audit.record(actor=users["district"], action="forces.add_shift", target_type="forces.dutyshift", detail={"region_path": neighbour[1].path})
    mine = list(selectors.scope_audit_entries(users["community"]))
    assert [(e.actor.username, e.action) for e in mine] == [
        ("district", "forces.add_shift"), ("district", "accounts.unlock"), ("worker_a", "gridwork.patrol")]
    assert [e.actor.username for e in selectors.scope_audit_entries(users["community"], who="district", app="accounts")] == ["district"]
    assert len(selectors.scope_audit_entries(users["street"])) == 5


# --- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["worker_a", "department", "resident"])
def test_other_roles_get_403(client, users, role):
    client.force_login(users[role])
    for url in ("/account/people/", "/account/people/new/", "/account/audit/", f"/account/people/{users['worker_b'].pk}/", "/forces/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/account/people/{users['worker_b'].pk}/reset-password/").status_code == 403


def test_an_account_outside_the_scope_is_404(client, users, neighbour, make_user):
    other = make_user("other_worker", "grid_worker", neighbour[1])
    client.force_login(users["community"])
    assert client.get(f"/account/people/{other.pk}/").status_code == 404
    assert client.get(f"/account/people/{users['street'].pk}/").status_code == 404
    assert client.post(f"/account/people/{other.pk}/active/", {"active": "0"}).status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_create_page_shows_the_password_once(client, users, tree):
    client.force_login(users["community"])
    assert "新建账号" in client.get("/account/people/new/").content.decode()
    response = client.post("/account/people/new/", {"username": "wg_page", "full_name": "李网格", "role": "grid_worker",
                                                    "scope_region": tree.grid_b.pk, "unit": "", "password": ""})
    account = User.objects.get(username="wg_page")
    assert response.status_code == 302 and response["Location"] == f"/account/people/{account.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="temporary-password"' in page
    assert 'data-testid="temporary-password"' not in client.get(response["Location"]).content.decode()


def test_create_page_names_the_field(client, users, tree, neighbour):
    client.force_login(users["community"])
    response = client.post("/account/people/new/", {"username": "worker_a", "full_name": "重名", "role": "grid_worker",
                                                    "scope_region": tree.grid_a.pk, "password": "abc"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="username"' in page and "已被使用" in page and 'data-field="password"' in page
    response = client.post("/account/people/new/", {"username": "wg_far", "full_name": "远", "role": "grid_worker",
                                                    "scope_region": neighbour[1].pk})
    assert 'data-field="scope_region"' in response.content.decode() and "不在您的管理范围内" in response.content.decode()
    response = client.post("/account/people/new/", {"username": "st_far", "full_name": "街", "role": "street", "scope_region": tree.community.pk})
    assert 'data-field="role"' in response.content.decode()
    assert not User.objects.filter(username__in=["wg_far", "st_far"]).exists()


def test_links_only_for_admins(client, users):
    client.force_login(users["community"])
    assert 'data-testid="local-admin-links"' in client.get("/account/security/").content.decode()
    for url in ("/account/people/", "/forces/", "/account/audit/"):
        assert client.get(url).status_code == 200, url
    client.force_login(users["worker_a"])
    assert 'data-testid="local-admin-links"' not in client.get("/account/security/").content.decode()


def test_audit_page_filters(client, users):
    services.reset_password(acting_user=users["community"], user=users["worker_a"])
    client.force_login(users["community"])
    page = client.get("/account/audit/", {"who": "community", "app": "accounts"}).content.decode()
    assert "accounts.reset_password" in page
    page = client.get("/account/audit/", {"since": "2030-01-02", "until": "2030-01-01"}).content.decode()
    assert 'data-field="until"' in page
    assert client.get("/account/audit/", {"app": "nonsense", "since": "x"}).status_code == 200
