"""The JSON API: a resident registers and claims for themselves, staff confirm and record; refusals
come back as 422 naming the field; /me and /hours (tests/test_scope.py covers the scoped lists)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.exports.helpers import run_job
from yiwang.exports.models import ExportJob
from yiwang.volunteers import services
from yiwang.volunteers.models import TaskClaim

pytestmark = pytest.mark.django_db


def post(client, path, payload=None):
    return client.post(path, json.dumps(payload or {}, default=str), content_type="application/json")


def test_member_registers_and_claims_through_the_api(client, tree, member, member_user, staff, posts, make_task):
    client.force_login(member_user)
    created = post(client, "/api/volunteers/registrations", {"posts": [posts[0].pk], "note": "会摄影"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["posts"], body["person_id"], body["community_code"]) == ("pending", [posts[0].pk], member.person.pk,
                                                                                           tree.community.code)
    again = post(client, "/api/volunteers/registrations", {})
    assert again.status_code == 422 and "year" in again.json()["detail"]
    # A resident sees nothing through the scoped lists.
    assert client.get("/api/volunteers/registrations").json()["count"] == 0

    client.force_login(staff)
    assert post(client, f"/api/volunteers/registrations/{body['id']}/confirm").json()["status"] == "confirmed"

    task = make_task(places=1)
    client.force_login(member_user)
    claimed = post(client, f"/api/volunteers/tasks/{task.pk}/claim")
    assert claimed.status_code == 201, claimed.content
    assert (claimed.json()["role"], claimed.json()["status"]) == ("party_member", "claimed")
    full = post(client, f"/api/volunteers/tasks/{task.pk}/claim")
    assert full.status_code == 422 and "task" in full.json()["detail"]
    me = client.get("/api/volunteers/me").json()
    assert me["registration"]["status"] == "confirmed" and me["claimable_tasks"][0]["claimed"] is True
    assert (me["tasks"], me["points"], me["stars"]) == (0, 0, 0)
    assert "本年度服务积分0分" in me["stars_explanation"]


def test_resident_cannot_claim_for_someone_else(client, tree, confirmed, member, make_user, make_task):
    other = make_user("neighbour", "resident", None, person=factories.person(tree.micro_a1))
    client.force_login(other)
    refused = post(client, f"/api/volunteers/tasks/{make_task().pk}/claim", {"person_id": member.person.pk})
    assert refused.status_code == 403
    not_member = post(client, f"/api/volunteers/tasks/{make_task().pk}/claim")
    assert not_member.status_code == 422 and "person" in not_member.json()["detail"]


def test_staff_post_task_complete_and_evaluate(client, tree, confirmed, member, member_user, staff):
    client.force_login(staff)
    starts = timezone.now() + timedelta(days=2)
    bad = post(client, "/api/volunteers/tasks", {"region": tree.community.code, "title": "清扫", "starts_at": starts.isoformat(),
                                                 "ends_at": (starts - timedelta(hours=1)).isoformat(), "places": 2, "hours": "2"})
    assert bad.status_code == 422 and "ends_at" in bad.json()["detail"]
    created = post(client, "/api/volunteers/tasks", {"region": tree.community.code, "title": "清扫楼道", "starts_at": starts.isoformat(),
                                                     "ends_at": (starts + timedelta(hours=2)).isoformat(), "places": 2, "hours": "2.5"})
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    claim = services.claim_task(task=task_id, person=member.person, acting_user=member_user)
    # Before the start the record is refused (the API cannot move the clock), so record through the service.
    early = post(client, f"/api/volunteers/tasks/{task_id}/complete", {"outcomes": {str(claim.pk): "2.5"}})
    assert early.status_code == 422 and "task" in early.json()["detail"]
    services.record_completion(task_id, acting_user=staff, outcomes={claim.pk: "2.5"}, now=starts + timedelta(hours=2))
    evaluation = post(client, f"/api/volunteers/registrations/{confirmed.pk}/evaluation", {"grade": "competent", "comment": "按时到岗"})
    assert evaluation.status_code == 201, evaluation.content
    assert {k: evaluation.json()[k] for k in ("tasks", "points", "stars", "grade_label")} == {"tasks": 1, "points": 25, "stars": 1,
                                                                                                "grade_label": "合格"}
    queued = client.post(f"/api/volunteers/evaluations/{evaluation.json()['id']}/docx")
    assert queued.status_code == 202 and queued.json()["status"] == "queued" and queued.json()["file_url"] is None
    assert run_job(ExportJob.objects.get(pk=queued.json()["id"])) == "done"
    job = client.get(queued.json()["url"]).json()
    assert job["status"] == "done" and job["progress"] == 100
    docx = client.get(job["file_url"])
    assert docx.status_code == 200 and docx["Content-Type"].startswith("application/vnd.openxmlformats")
    listed = client.get("/api/volunteers/evaluations", {"organization": member.organization.pk}).json()
    assert [e["person_name"] for e in listed["items"]] == [member.person.name]
    hours = client.get("/api/volunteers/hours", {"region": tree.community.code, "since": (starts - timedelta(days=1)).isoformat(),
                                                 "until": (starts + timedelta(days=1)).isoformat()}).json()
    assert hours == [{"person_id": member.person.pk, "name": member.person.name, "hours": 2.5}]


def test_department_may_look_but_not_write(client, tree, users, staff):
    client.force_login(users["department"])
    refused = post(client, "/api/volunteers/posts", {"region": tree.community.code, "title": "宣传员", "capacity": 3})
    assert refused.status_code == 403
    client.force_login(staff)
    created = post(client, "/api/volunteers/posts", {"region": tree.community.code, "title": "宣传员", "capacity": 3})
    assert created.status_code == 201 and created.json()["community_code"] == tree.community.code
    duplicate = post(client, "/api/volunteers/posts", {"region": tree.community.code, "title": "宣传员", "capacity": 3})
    assert duplicate.status_code == 422 and "title" in duplicate.json()["detail"]


def test_hours_outside_scope_is_refused(client, tree, users):
    client.force_login(users["worker_a"])
    now = timezone.now()
    response = client.get("/api/volunteers/hours", {"region": tree.grid_b.code, "since": now.isoformat(), "until": now.isoformat()})
    assert response.status_code == 422 and "region" in response.json()["detail"]
    assert not TaskClaim.objects.exists()
