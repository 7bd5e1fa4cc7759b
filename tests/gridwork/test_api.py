"""The grid-work API: recording with findings that open cases, refusals naming the field, care
plans visible from below, coverage and the overdue list within the caller's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.gridwork import factories as gw
from yiwang.cases.models import Case
from yiwang.gridwork.models import CarePlan, Finding, HomeVisit, PatrolLog

pytestmark = pytest.mark.django_db


def _post(client, path, body):
    return client.post(path, body, content_type="application/json")


def test_a_visit_with_a_finding_opens_a_case(client, tree, users, matter, tagged):
    elder = tagged(tree.micro_a1, "elderly_alone")
    client.force_login(users["worker_a"])
    response = _post(client, "/api/gridwork/visits", {
        "summary": "上门看望独居老人", "persons": [elder.pk], "lon": 108.302, "lat": 31.105,
        "findings": [{"description": "楼上漏水引发纠纷", "matter": matter.pk}, {"description": "楼道灯坏"}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["region_code"], body["worker"], body["person_ids"]) == (tree.micro_a1.code, "worker_a", [elder.pk])
    number = body["findings"][0]["case_number"]
    assert number and Case.objects.get(number=number).external_id == f"visit-{body['id']}-1"
    assert body["findings"][1]["case_number"] is None
    listed = client.get("/api/gridwork/visits", {"person": elder.pk}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    assert client.get("/api/gridwork/findings", {"with_case": True}).json()["count"] == 1


def test_a_patrol_refused_by_intake_names_the_finding_and_writes_nothing(client, tree, users, matter, charging):
    client.force_login(users["worker_a"])
    cases = Case.objects.count()
    response = _post(client, "/api/gridwork/patrols", {"region": tree.grid_a.code, "summary": "巡查",
                                                        "findings": [{"description": "纠纷", "matter": matter.pk},
                                                                     {"description": "楼道充电", "matter": charging.pk}]})
    assert response.status_code == 422
    assert all(key.startswith("findings[2].") for key in response.json()["detail"])
    response = _post(client, "/api/gridwork/patrols", {"region": tree.grid_a.code, "summary": "巡查", "findings": [{"description": "x", "matter": 999999}]})
    assert response.status_code == 422 and "findings[1].matter" in response.json()["detail"]
    assert (PatrolLog.objects.count(), Finding.objects.count(), Case.objects.count()) == (0, 0, cases)


def test_recording_outside_scope_is_refused(client, tree, users):
    client.force_login(users["worker_a"])
    response = _post(client, "/api/gridwork/patrols", {"region": tree.grid_b.code, "summary": "越界巡查"})
    assert response.status_code == 422 and "region" in response.json()["detail"]  # not even confirmed to exist
    client.force_login(users["department"])
    assert _post(client, "/api/gridwork/patrols", {"region": tree.grid_a.code, "summary": "巡查"}).status_code == 403
    client.force_login(users["worker_a"])
    neighbour = factories.person(tree.micro_b1)
    response = _post(client, "/api/gridwork/visits", {"summary": "走访", "persons": [neighbour.pk]})
    assert response.status_code == 422 and "persons[1]" in response.json()["detail"]
    assert PatrolLog.objects.count() == HomeVisit.objects.count() == 0


def test_plans_set_above_apply_and_are_listed_for_a_grid_worker(client, tree, users):
    client.force_login(users["worker_a"])
    assert _post(client, "/api/gridwork/care/plans", {"region": tree.community.code, "group": "elderly_alone", "frequency_days": 7}).status_code == 403
    client.force_login(users["community"])
    response = _post(client, "/api/gridwork/care/plans", {"region": tree.community.code, "group": "elderly_alone", "frequency_days": 7,
                                                          "note": "每周上门"})
    assert response.status_code == 201 and response.json()["frequency_label"] == "每周"
    bad = _post(client, "/api/gridwork/care/plans", {"region": tree.community.code, "group": "elderly_alone", "frequency_days": 3})
    assert bad.status_code == 422 and "frequency_days" in bad.json()["detail"]
    far = gw.careplan(tree.other_street)
    client.force_login(users["worker_a"])
    listed = client.get("/api/gridwork/care/plans").json()
    assert [p["region_code"] for p in listed["items"]] == [tree.community.code]
    assert far.pk not in {p["id"] for p in listed["items"]}
    client.force_login(users["community"])
    plan_id = response.json()["id"]
    ended = _post(client, f"/api/gridwork/care/plans/{plan_id}/end", {})
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert not CarePlan.objects.filter(active=True, region=tree.community).exists()


def test_coverage_and_overdue_are_scoped(client, tree, users, tagged):
    start = timezone.localdate() - timedelta(days=40)
    gw.careplan(tree.community, group="elderly_alone", frequency_days=7, starts_on=start)
    visited = tagged(tree.micro_a1, "elderly_alone", name="王大爷")
    tagged(tree.micro_a2, "elderly_alone", name="李奶奶")
    tagged(tree.micro_b1, "elderly_alone", name="钱婆婆")
    gw.homevisit(tree.micro_a1, persons=[visited])
    client.force_login(users["worker_a"])
    coverage = client.get("/api/gridwork/care/coverage").json()
    assert [g["grid_code"] for g in coverage["grids"]] == [tree.grid_a.code]
    assert (coverage["under_plan"], coverage["covered"], coverage["overdue"], coverage["rate"]) == (2, 1, 1, 0.5)
    late = client.get("/api/gridwork/care/overdue").json()
    assert [(r["person_name"], r["grid_code"], r["workers"], r["overdue_since"]) for r in late["items"]] == [
        ("李奶奶", tree.grid_a.code, ["worker_a"], (start + timedelta(days=7)).isoformat())]
    assert client.get("/api/gridwork/care/coverage", {"region": tree.grid_b.code}).status_code == 422
    client.force_login(users["community"])
    coverage = client.get("/api/gridwork/care/coverage").json()
    assert {g["grid_code"]: (g["under_plan"], g["covered"]) for g in coverage["grids"]} == {tree.grid_a.code: (2, 1), tree.grid_b.code: (1, 0)}
    assert client.get("/api/gridwork/care/overdue", {"region": tree.grid_b.code}).json()["count"] == 1
    client.force_login(users["resident"])
    assert client.get("/api/gridwork/care/coverage").status_code == 403
    assert client.get("/api/gridwork/care/overdue").status_code == 403
    client.logout()
    assert client.get("/api/gridwork/care/coverage").status_code == 401
