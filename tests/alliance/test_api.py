"""The alliance API: a project from a need, milestones and progress, a meeting whose decisions
create projects, refusals as 422 naming the field, scope for reads and writes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.alliance import factories
from yiwang.alliance.models import AllianceMeeting, AllianceProject

pytestmark = pytest.mark.django_db
TODAY = date.today()


def test_project_from_a_need_and_a_milestone_done(client, setup, users):
    client.force_login(users["street"])
    body = {"title": "燃气安全进万家", "lead": setup.gas.pk, "need": setup.need.pk, "cooperating": [setup.power.pk], "resources": [setup.hall.pk],
            "due_on": str(TODAY + timedelta(days=30)),
            "milestones": [{"title": "摸排", "due_on": str(TODAY + timedelta(days=5))}, {"title": "上门检查", "due_on": str(TODAY + timedelta(days=20)), "unit": setup.power.pk}]}
    response = client.post(f"/api/alliance/alliances/{setup.alliance.pk}/projects", body, content_type="application/json")
    assert response.status_code == 201, response.content
    project = response.json()
    assert (project["lead"], project["cooperating"], project["need_id"], project["status"]) == ("燃气公司", ["供电公司"], setup.need.pk, "planned")
    assert [m["responsible"] for m in project["milestones"]] == ["燃气公司", "供电公司"]
    assert client.get(f"/api/alliance/needs/{setup.need.pk}").json()["status"] == "matched"

    first = project["milestones"][0]["id"]
    done = client.post(f"/api/alliance/milestones/{first}/done", {"note": "已摸排"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["done_on"] == str(TODAY) and done.json()["on_time"] is True
    again = client.post(f"/api/alliance/milestones/{first}/done", {}, content_type="application/json")
    assert again.status_code == 422 and "done_on" in again.json()["detail"]
    progress = client.post(f"/api/alliance/projects/{project['id']}/progress", {"progress": 100}, content_type="application/json")
    assert progress.status_code == 422 and "还有 1 个节点未完成" in progress.json()["detail"]["progress"][0]
    assert client.get(f"/api/alliance/projects/{project['id']}").json()["progress"] == 50


def test_refusals_name_the_field(client, setup, users, tree):
    client.force_login(users["street"])
    outsider = factories.alliancemember(tree.street, name="外单位")
    url = f"/api/alliance/alliances/{setup.alliance.pk}/projects"
    response = client.post(url, {"title": "x", "lead": outsider.pk}, content_type="application/json")
    assert response.status_code == 422 and "lead" in response.json()["detail"]
    response = client.post(url, {"title": "x", "lead": setup.gas.pk, "milestones": [{"title": "a", "due_on": str(TODAY - timedelta(days=9))}]},
                           content_type="application/json")
    assert response.status_code == 422 and "milestones[1].due_on" in response.json()["detail"]
    assert AllianceProject.objects.count() == 0


def test_meeting_with_a_project_decision(client, setup, users):
    client.force_login(users["street"])
    url = f"/api/alliance/alliances/{setup.alliance.pk}/meetings"
    body = {"held_on": str(TODAY), "topic": "联席会议", "minutes": "纪要", "attendees": [setup.gas.pk, setup.power.pk],
            "decisions": [{"text": "开展义诊", "project": {"title": "社区义诊", "lead": setup.hospital.pk}},
                          {"text": "路面硬化", "project": {"title": "路面硬化", "lead": setup.power.pk, "cooperating": [setup.power.pk]}}]}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 422 and "decisions[2].project.cooperating" in response.json()["detail"]
    assert AllianceMeeting.objects.count() == 0 and AllianceProject.objects.count() == 0
    body["decisions"][1]["project"]["cooperating"] = [setup.gas.pk]
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    meeting = response.json()
    assert [d["text"] for d in meeting["decisions"]] == ["开展义诊", "路面硬化"] and all(d["project_id"] for d in meeting["decisions"])
    project = client.get(f"/api/alliance/projects/{meeting['decisions'][0]['project_id']}").json()
    assert project["meeting_id"] == meeting["id"] and project["lead"] == "区人民医院"
    quarters = client.get(f"/api/alliance/alliances/{setup.alliance.pk}/quarters").json()
    assert quarters[0]["status"] == "held" and quarters[0]["meeting_ids"] == [meeting["id"]]


def test_scope_of_reads_and_writes(client, setup, users, tree, make_user):
    # A grid worker sees the street's alliance (to raise needs) but cannot run it.
    client.force_login(users["worker_a"])
    assert [a["id"] for a in client.get("/api/alliance/alliances").json()["items"]] == [setup.alliance.pk]
    assert client.get(f"/api/alliance/members/{setup.gas.pk}/record").status_code == 200
    response = client.post(f"/api/alliance/alliances/{setup.alliance.pk}/projects", {"title": "x", "lead": setup.gas.pk}, content_type="application/json")
    assert response.status_code == 403
    need = client.post(f"/api/alliance/alliances/{setup.alliance.pk}/needs",
                       {"region": tree.grid_a.code, "title": "路灯不亮", "description": "背街小巷路灯不亮"}, content_type="application/json")
    assert need.status_code == 201 and need.json()["status"] == "open"
    # The grid's needs are its own: grid B's worker does not see grid A's.
    client.force_login(users["worker_b"])
    assert client.get(f"/api/alliance/needs/{setup.need.pk}").status_code == 404
    # Another street sees nothing of 云枫's alliance.
    other = make_user("other_street", "street", tree.other_street)
    client.force_login(other)
    assert client.get("/api/alliance/alliances").json()["count"] == 0
    assert client.get(f"/api/alliance/alliances/{setup.alliance.pk}").status_code == 404
    client.force_login(users["resident"])
    assert client.get("/api/alliance/projects").json()["count"] == 0


def test_unit_record_endpoint(client, setup, users):
    client.force_login(users["street"])
    record = client.get(f"/api/alliance/members/{setup.power.pk}/record").json()
    assert record["unit"] == "供电公司" and record["resources_offered"] == 1 and record["records"]["resources_offered"] == [setup.hall.pk]
    bad = client.get(f"/api/alliance/members/{setup.power.pk}/record", {"since": "2025-05-01", "until": "2025-01-01"})
    assert bad.status_code == 422
