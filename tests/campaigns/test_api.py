"""The campaigns API: create, publish (422 naming the grid that refuses), list and detail with
progress, a grid worker's targets and a check that opens a case; all within scope."""

from __future__ import annotations

import pytest

from yiwang.campaigns.models import Campaign, Status
from yiwang.cases.models import Case

from .conftest import results

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "owner": "500154003000", "title": "三合一场所燃气安全专项排查", "task_key": "WG-02", "starts_on": "2026-06-01", "ends_on": "2026-06-30",
    "items": [{"text": "燃气软管无老化破损", "matter": "S0003"}, {"text": "疏散通道畅通", "matter": "S0008"}],
    "targets": {"place_kinds": ["three_in_one"]},
}


def test_create_publish_check_and_progress(client, users, places, grid_list, tree):
    client.force_login(users["street"])
    created = client.post("/api/campaigns", PAYLOAD, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and [i["matter_code"] for i in body["items"]] == ["S0003", "S0008"]
    assert body["total"]["targets"] == 3 and body["total"]["unassigned"] == 0
    campaign_id = body["id"]
    published = client.post(f"/api/campaigns/{campaign_id}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert set(published.json()["admission"]) == {tree.grid_a.code, tree.grid_b.code}

    client.force_login(users["worker_a"])
    mine = client.get("/api/campaigns/targets", {"mine": True}).json()
    assert mine["count"] == 2 and {t["label"] for t in mine["items"]} == {"老王小吃店", "李记五金"}
    target = next(t for t in mine["items"] if t["label"] == "老王小吃店")
    campaign = Campaign.objects.get(pk=campaign_id)
    payload = {"results": results(campaign, i2=("fail", "楼梯间堆货")), "note": "已宣传"}
    checked = client.post(f"/api/campaigns/targets/{target['id']}/check", payload, content_type="application/json")
    assert checked.status_code == 201, checked.content
    out = checked.json()
    assert out["status"] == "checked" and out["checked_by"] == "worker_a"
    failed = [r for r in out["results"] if r["result"] == "fail"]
    assert len(failed) == 1 and Case.objects.get(number=failed[0]["case_number"]).matter.code == "S0008"
    again = client.post(f"/api/campaigns/targets/{target['id']}/check", payload, content_type="application/json")
    assert again.status_code == 422 and "target" in again.json()["detail"]

    client.force_login(users["street"])
    detail = client.get(f"/api/campaigns/{campaign_id}").json()
    grids = {g["grid_code"]: g for g in detail["progress"]}
    assert (grids[tree.grid_a.code]["checked"], grids[tree.grid_a.code]["failed"], grids[tree.grid_a.code]["cases"]) == (1, 1, 1)
    assert grids[tree.grid_a.code]["percent"] == 50 and detail["total"]["checked"] == 1


def test_publish_refused_is_422_naming_the_grid_and_the_list(client, users, places, grid_list, tree):
    client.force_login(users["street"])
    campaign_id = client.post("/api/campaigns", PAYLOAD | {"task_key": "WG-09"}, content_type="application/json").json()["id"]
    refused = client.post(f"/api/campaigns/{campaign_id}/publish")
    assert refused.status_code == 422
    messages = refused.json()["detail"]["task_key"]
    assert f"永先社区第1网格({tree.grid_a.code}):任务 WG-09 不在《开州区网格任务清单》第1版之内，未准入网格，不得下派到网格" in messages
    assert Campaign.objects.get(pk=campaign_id).status == Status.DRAFT


def test_bad_input_and_roles(client, users, places, grid_list):
    client.force_login(users["street"])
    bad = client.post("/api/campaigns", PAYLOAD | {"items": [], "owner": "500154001000"}, content_type="application/json")
    assert bad.status_code == 422 and "owner" in bad.json()["detail"]
    bad = client.post("/api/campaigns", PAYLOAD | {"items": []}, content_type="application/json")
    assert bad.status_code == 422 and "items" in bad.json()["detail"]
    client.force_login(users["worker_a"])
    assert client.post("/api/campaigns", PAYLOAD, content_type="application/json").status_code == 422  # street not in their CHANGE scope
    client.force_login(users["community"])
    assert client.post("/api/campaigns", PAYLOAD, content_type="application/json").status_code == 422
    assert not Campaign.objects.exists()


def test_scope_of_reads_and_checks(client, users, published, places, make_user, tree):
    target_a = published.targets.get(place=places["a1"])
    client.force_login(users["worker_b"])
    assert client.get(f"/api/campaigns/targets/{target_a.pk}").status_code == 404
    check = client.post(f"/api/campaigns/targets/{target_a.pk}/check", {"results": results(published)}, content_type="application/json")
    assert check.status_code == 404
    assert client.get(f"/api/campaigns/{published.pk}").json()["total"]["targets"] == 1  # only grid B's
    client.force_login(make_user("hanfeng", "street", tree.other_street))
    assert client.get("/api/campaigns").json()["count"] == 0
    assert client.get(f"/api/campaigns/{published.pk}").status_code == 404
    client.force_login(users["street"])
    assert client.post(f"/api/campaigns/{published.pk}/close").json()["status"] == "closed"


def test_reassign_a_target_to_another_grid_worker(client, users, places, grid_list, tree, make_user):
    from yiwang.campaigns.models import Target

    client.force_login(users["street"])
    campaign_id = client.post("/api/campaigns", PAYLOAD, content_type="application/json").json()["id"]
    target = Target.objects.filter(campaign_id=campaign_id, region__path__startswith=tree.grid_a.path).first()
    colleague = make_user("worker_a2", "grid_worker", tree.grid_a)
    moved = client.post(f"/api/campaigns/targets/{target.pk}/assign", {"assignee_id": colleague.pk}, content_type="application/json")
    assert moved.status_code == 200, moved.content
    target.refresh_from_db()
    assert target.assignee == colleague
    # A worker of the neighbouring grid cannot take it; the grid worker cannot reassign.
    refused = client.post(f"/api/campaigns/targets/{target.pk}/assign", {"assignee_id": users["worker_b"].pk}, content_type="application/json")
    assert refused.status_code == 422 and "assignee" in refused.json()["detail"]
    client.force_login(users["worker_a"])
    assert client.post(f"/api/campaigns/targets/{target.pk}/assign", {"assignee_id": None}, content_type="application/json").status_code == 403
    target.refresh_from_db()
    assert target.assignee == colleague
