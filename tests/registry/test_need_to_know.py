"""Need to know and sensitive groups: a department sees only the residents its cases name or a
grant lets it see; persons in sensitive groups only with the permission; each look is logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from yiwang.core import crypto
from yiwang.core.models import AuditEntry, SensitiveAccess
from yiwang.registry.models import PersonAccessGrant, PersonTag

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    """A reporter, a neighbour, and a person in a sensitive group, all in grid A."""
    reporter, neighbour, sensitive = (factories.person(tree.micro_a1) for _ in range(3))
    PersonTag.objects.create(person=neighbour, tag="elderly_alone")
    PersonTag.objects.create(person=sensitive, tag="TS03")  # 严重精神障碍患者
    return {"reporter": reporter, "neighbour": neighbour, "sensitive": sensitive}


def _handled_case(tree, department, *, phone: str = "", status: str | None = None, closed_ago: timedelta | None = None):
    from yiwang.cases.models import Case

    case = factories.case(tree.grid_a)
    values = {"handling_department": department}
    if phone:
        case.set_phone(phone)
        values.update(phone_sealed=case.phone_sealed, phone_digest=case.phone_digest)
    if status:
        values["status"] = status
    if closed_ago is not None:
        values["closed_at"] = timezone.now() - closed_ago
    Case.objects.filter(pk=case.pk).update(**values)
    return Case.objects.get(pk=case.pk)


def _ids(client, path, **params):
    response = client.get(path, {"limit": 200, **params})
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def _grant(client, **payload):
    body = {"reason": "独居老人冬季安全排查", "expires_at": (timezone.now() + timedelta(days=7)).isoformat(), **payload}
    return client.post("/api/registry/grants", body, content_type="application/json")


# --- need to know ---------------------------------------------------------------------------------

def test_department_sees_no_resident_without_a_case(client, users, department, people):
    client.force_login(users["department"])
    # The attack: a department listing a sensitive group with their homes.
    refused = client.get("/api/registry/persons", {"tag": "TS03"})
    assert refused.status_code == 403 and "严重精神障碍" in refused.json()["detail"]
    assert _ids(client, "/api/registry/persons") == set()
    assert _ids(client, "/api/registry/persons", tag="elderly_alone") == set()
    assert _ids(client, "/api/registry/households") == set()
    assert client.get(f"/api/registry/persons/{people['neighbour'].pk}").status_code == 404
    page = client.get("/persons/").content.decode()
    assert people["neighbour"].name not in page and people["reporter"].name not in page


def test_department_sees_the_reporter_of_a_case_it_handles(client, users, tree, department, people):
    reporter = people["reporter"]
    _handled_case(tree, department, phone=crypto.decrypt(reporter.phone_sealed))
    client.force_login(users["department"])
    assert _ids(client, "/api/registry/persons") == {reporter.pk}
    assert client.get(f"/api/registry/persons/{reporter.pk}").status_code == 200
    assert client.get(f"/api/registry/persons/{people['neighbour'].pk}").status_code == 404
    # Seen through its case, not a grant: no grant use is logged.
    assert not AuditEntry.objects.filter(action="registry.grant_used").exists()


def test_need_to_know_ends_some_time_after_the_case_closes(client, users, tree, department, people, settings):
    settings.REGISTRY_CASE_ACCESS_DAYS = 30
    reporter = people["reporter"]
    case = _handled_case(tree, department, phone=crypto.decrypt(reporter.phone_sealed), status="closed", closed_ago=timedelta(days=10))
    client.force_login(users["department"])
    assert _ids(client, "/api/registry/persons") == {reporter.pk}
    type(case).objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=31))
    assert _ids(client, "/api/registry/persons") == set()


def test_department_sees_visits_and_patrols_only_through_its_cases(client, users, tree, department, people):
    from tests.gridwork import factories as gridwork_factories
    from yiwang.gridwork.models import Finding

    case = _handled_case(tree, department)
    other_visit = gridwork_factories.homevisit(tree.micro_a1, persons=[people["neighbour"]])
    other_patrol = gridwork_factories.patrollog(tree.micro_a1)
    patrol = gridwork_factories.patrollog(tree.micro_a1)
    Finding.objects.create(region=tree.micro_a1, patrol=patrol, row=1, description="占道经营", case=case)
    visit = gridwork_factories.homevisit(tree.micro_a1, persons=[people["reporter"]])
    Finding.objects.create(region=tree.micro_a1, visit=visit, row=1, description="楼道堆物", case=case)

    client.force_login(users["department"])
    assert _ids(client, "/api/gridwork/visits") == {visit.pk}
    assert _ids(client, "/api/gridwork/patrols") == {patrol.pk}
    assert client.get(f"/api/gridwork/visits/{other_visit.pk}").status_code == 404
    assert client.get(f"/api/gridwork/patrols/{other_patrol.pk}").status_code == 404
    assert client.get(f"/gridwork/visits/{other_visit.pk}/").status_code == 404
    assert client.get(f"/gridwork/patrols/{other_patrol.pk}/").status_code == 404
    assert client.get(f"/gridwork/visits/{visit.pk}/").status_code == 200
    # The person met on the visit whose finding opened its case is named by that case.
    assert _ids(client, "/api/registry/persons") == {people["reporter"].pk}
    # The care lists name nobody else either.
    overdue = client.get("/api/gridwork/care/overdue").json()["items"]
    assert {row["person_id"] for row in overdue} <= {people["reporter"].pk}


def test_a_grant_lets_a_department_see_a_person_until_it_expires(client, users, tree, department, people):
    neighbour = people["neighbour"]
    client.force_login(users["street"])
    response = _grant(client, department="CG01", region=tree.grid_a.code, person=neighbour.pk)
    assert response.status_code == 201, response.content
    grant = PersonAccessGrant.objects.get(pk=response.json()["id"])
    logged = AuditEntry.objects.get(action="registry.grant_person_access", target_id=str(grant.pk))
    assert logged.actor == users["street"] and logged.detail["reason"] == "独居老人冬季安全排查"

    client.force_login(users["department"])
    assert client.get(f"/api/registry/persons/{neighbour.pk}").status_code == 200
    assert _ids(client, "/api/registry/persons") == {neighbour.pk}
    uses = AuditEntry.objects.filter(action="registry.grant_used", target_id=str(grant.pk), actor=users["department"])
    assert any(u.detail.get("person") == neighbour.pk for u in uses)
    assert any("list" in u.detail for u in uses)
    assert _ids(client, "/api/registry/grants") == {grant.pk}

    PersonAccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/api/registry/persons/{neighbour.pk}").status_code == 404
    assert _ids(client, "/api/registry/persons") == set()


def test_a_revoked_group_grant_stops_at_once(client, users, tree, department, people):
    client.force_login(users["street"])
    grant_id = _grant(client, department="CG01", region=tree.community.code, group="elderly_alone").json()["id"]
    client.force_login(users["department"])
    assert _ids(client, "/api/registry/persons", tag="elderly_alone") == {people["neighbour"].pk}
    client.force_login(users["street"])
    assert client.post(f"/api/registry/grants/{grant_id}/revoke").status_code == 200
    assert AuditEntry.objects.filter(action="registry.revoke_person_access", target_id=str(grant_id)).exists()
    client.force_login(users["department"])
    assert _ids(client, "/api/registry/persons") == set()


def test_grants_are_for_street_and_district_staff_with_a_reason_and_a_bounded_expiry(client, users, tree, department, people):
    neighbour = people["neighbour"]
    for name in ("department", "community", "worker_a"):
        client.force_login(users[name])
        assert _grant(client, department="CG01", region=tree.grid_a.code, person=neighbour.pk).status_code in (403, 422)
    client.force_login(users["street"])
    response = _grant(client, department="CG01", region=tree.grid_a.code, person=neighbour.pk, reason=" ")
    assert response.status_code == 422 and "reason" in response.json()["detail"]
    response = _grant(client, department="CG01", region=tree.grid_a.code, person=neighbour.pk,
                      expires_at=(timezone.now() + timedelta(days=400)).isoformat())
    assert response.status_code == 422 and "expires_at" in response.json()["detail"]
    response = _grant(client, department="CG01", region=tree.grid_a.code)
    assert response.status_code == 422 and "person" in response.json()["detail"]
    # Outside the street's scope: the region is "not found".
    response = _grant(client, department="CG01", region=tree.other_street.code, group="elderly_alone")
    assert response.status_code == 422 and "region" in response.json()["detail"]
    assert not PersonAccessGrant.objects.exists()


# --- sensitive groups -----------------------------------------------------------------------------

def test_role_groups_give_the_sensitive_permission_to_community_and_grid_workers(users):
    from yiwang.accounts.models import User

    holders = {name for name in ("district", "street", "community", "worker_a", "department", "resident")
               if User.objects.get(pk=users[name].pk).has_perm("registry.view_sensitive_group")}
    assert holders == {"community", "worker_a"}


def test_sensitive_group_is_absent_and_its_filter_refused_without_permission(client, users, people):
    sensitive = people["sensitive"]
    client.force_login(users["street"])
    response = client.get("/api/registry/persons", {"tag": "mental_illness"})
    assert response.status_code == 403
    assert "严重精神障碍" in response.json()["detail"] and "权限" in response.json()["detail"]
    assert sensitive.pk not in _ids(client, "/api/registry/persons")
    assert people["neighbour"].pk in _ids(client, "/api/registry/persons")
    assert client.get(f"/api/registry/persons/{sensitive.pk}").status_code == 404
    page = client.get("/persons/", {"tag": "mental_illness"})
    assert page.status_code == 403 and "严重精神障碍" in page.content.decode()
    assert sensitive.name not in client.get("/persons/").content.decode()
    # Nor in an export.
    from io import BytesIO

    from openpyxl import load_workbook

    from yiwang.registry.exports import export_queryset, export_registry

    content = export_registry("persons", queryset=export_queryset("persons", user=users["street"]))
    cells = {str(c.value) for row in load_workbook(BytesIO(content)).active.iter_rows() for c in row}
    assert sensitive.name not in cells and "严重精神障碍" not in cells and people["neighbour"].name in cells
    assert not SensitiveAccess.objects.exists()


def test_sensitive_filter_and_views_are_logged_with_permission(client, users, people):
    sensitive = people["sensitive"]
    client.force_login(users["community"])
    assert _ids(client, "/api/registry/persons", tag="TS03") == {sensitive.pk}
    row = SensitiveAccess.objects.get(field="filter")
    assert (row.user, row.target_id, row.channel) == (users["community"], "TS03", "api")
    assert client.get(f"/api/registry/persons/{sensitive.pk}").status_code == 200
    assert SensitiveAccess.objects.filter(user=users["community"], field="sensitive_group", target_id=str(sensitive.pk)).count() == 1
    # Looking at someone outside the groups is not logged.
    client.get(f"/api/registry/persons/{people['neighbour'].pk}")
    assert SensitiveAccess.objects.count() == 2
    assert client.get("/persons/", {"tag": "mental_illness"}).status_code == 200
    assert SensitiveAccess.objects.filter(field="filter", channel="page").count() == 1


def test_visits_naming_a_sensitive_person_are_hidden_without_permission(client, users, tree, people):
    from tests.gridwork import factories as gridwork_factories

    visit = gridwork_factories.homevisit(tree.micro_a1, persons=[people["sensitive"]])
    client.force_login(users["street"])
    assert client.get(f"/api/gridwork/visits/{visit.pk}").status_code == 404
    assert client.get(f"/gridwork/visits/{visit.pk}/").status_code == 404
    client.force_login(users["worker_a"])
    assert client.get(f"/api/gridwork/visits/{visit.pk}").status_code == 200
    assert SensitiveAccess.objects.filter(user=users["worker_a"], target_id=str(people["sensitive"].pk), field="sensitive_group").exists()


# --- users looked up in scope ---------------------------------------------------------------------

def test_a_user_outside_scope_reads_like_one_that_does_not_exist(client, users, tree):
    client.force_login(users["worker_a"])

    def record_patrol(worker):
        response = client.post("/api/gridwork/patrols", {"summary": "巡查", "region": tree.grid_a.code, "worker": worker},
                               content_type="application/json")
        return response.status_code, response.json()["detail"]["worker"][0].replace(repr(worker), "NAME")

    assert record_patrol("worker_b") == record_patrol("no_such_user")
    assert record_patrol("worker_b")[0] == 422
    # Inside the scope (the grid worker's own community staff) the name is found.
    response = client.post("/api/gridwork/patrols", {"summary": "巡查", "region": tree.grid_a.code, "worker": "worker_a"},
                           content_type="application/json")
    assert response.status_code == 201


def test_user_restrict_keeps_the_subtree_and_the_chain_above(users, tree, make_user):
    from yiwang.accounts.models import User

    other = make_user("other_street", "street", tree.other_street)
    seen = set(User.objects.restrict(users["worker_a"]).values_list("username", flat=True))
    assert {"worker_a", "community", "street", "district", "department"} <= seen
    assert not seen & {"worker_b", "resident", other.username}
    assert not User.objects.restrict(users["resident"]).exists()


# --- imports --------------------------------------------------------------------------------------

def test_import_conflict_outside_scope_names_no_record(tree, users, make_user):
    from yiwang.registry.importing import ImportFailed, import_persons

    elsewhere = factories.person(tree.other_street)
    mine = factories.person(tree.micro_a1)
    header = "姓名,身份证号,网格编码\r\n"
    rows = [f"新人甲,{crypto.decrypt(elsewhere.id_number_sealed)},{tree.grid_a.code}",
            f"新人乙,{crypto.decrypt(mine.id_number_sealed)},{tree.grid_a.code}"]
    with pytest.raises(ImportFailed) as failed:
        import_persons(source=(header + "\r\n".join(rows) + "\r\n").encode(), acting_user=users["community"], progress=False)
    reasons = {error.row: error.reason for error in failed.value.errors}
    outside = reasons[2]
    assert "冲突" in outside and "街道管理员" in outside
    for leak in (elsewhere.name, tree.other_street.name, elsewhere.region.name, "汉丰"):
        assert leak not in outside
    # Inside the importer's scope the row says which record it is.
    assert mine.name in reasons[3]


def test_existing_grid_workers_join_their_role_group_when_roles_sync(users):
    from yiwang.accounts.models import User
    from yiwang.accounts.roles import sync_role_groups

    worker = users["worker_a"]
    worker.groups.clear()  # an account from before grid workers had a role group
    assert not User.objects.get(pk=worker.pk).has_perm("registry.view_sensitive_group")
    sync_role_groups()
    assert User.objects.get(pk=worker.pk).has_perm("registry.view_sensitive_group")


def test_link_accounts_outside_scope_read_like_unknown_names(client, users, tree, make_user):
    other = make_user("other_leader", "street", tree.other_street)
    client.force_login(users["street"])

    def link(leader):
        response = client.post("/api/links", {"kind": "street_leader", "region": tree.grid_a.code, "leader": leader},
                               content_type="application/json")
        return response.status_code, response.json()["detail"]["leader"][0].replace(repr(leader), "NAME")

    assert link(other.username) == link("nobody_at_all")
    assert link(other.username)[0] == 422


def test_grants_are_listed_and_revoked_in_the_admin(client, users, tree, department, people):
    client.force_login(users["street"])
    grant_id = _grant(client, department="CG01", region=tree.grid_a.code, person=people["neighbour"].pk).json()["id"]
    changelist = client.get("/admin/registry/personaccessgrant/")
    assert changelist.status_code == 200 and "独居老人冬季安全排查" in changelist.content.decode()
    client.post("/admin/registry/personaccessgrant/", {"action": "revoke", "_selected_action": [grant_id]})
    assert PersonAccessGrant.objects.get(pk=grant_id).revoked_at is not None
