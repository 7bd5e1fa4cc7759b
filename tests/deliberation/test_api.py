"""The API: the five steps over JSON, scope, a resident's own topics, and errors by field."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from tests.deliberation import flow
from yiwang.deliberation.models import Topic

pytestmark = pytest.mark.django_db


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def test_the_five_steps_over_the_api(client, tree, people, users, matter):
    client.force_login(people.resident)
    response = post(client, "/api/deliberation/topics", {"title": "广场舞噪音", "description": "晚上十点后还在跳"})
    assert response.status_code == 201, response.content
    topic_id = response.json()["id"]
    assert response.json()["grid_code"] == tree.grid_a.code and response.json()["state"] == "raised"
    mine = client.get("/api/deliberation/mine").json()
    assert [row["id"] for row in mine["items"]] == [topic_id] and mine["count"] == 1
    assert client.get("/api/deliberation/topics").json()["count"] == 0  # residents see nothing through the scope

    client.force_login(users["worker_a"])
    assert post(client, f"/api/deliberation/topics/{topic_id}/accept").status_code == 200
    response = post(client, f"/api/deliberation/topics/{topic_id}/grid-discussion", {
        "held_on": timezone.localdate().isoformat(), "support": 20, "oppose": 2, "summary": "赞成限时", "outcome": "refer"})
    assert response.json()["state"] == "consultation"

    client.force_login(users["community"])
    response = post(client, "/api/deliberation/meetings", {
        "region_code": tree.community.code, "title": "协商议事会", "held_at": timezone.now().isoformat(), "place": "议事廊",
        "topic_ids": [topic_id]})
    assert response.status_code == 201, response.content
    meeting = response.json()
    assert post(client, f"/api/deliberation/meetings/{meeting['id']}/attendees", {"kind": "property", "name": "王经理"}).status_code == 201
    assert post(client, f"/api/deliberation/meetings/{meeting['id']}/minutes", {"minutes": "到会 15 人"}).status_code == 200
    response = post(client, f"/api/deliberation/meetings/{meeting['id']}/decisions",
                    {"agenda_item_id": meeting["agenda"][0]["id"], "decision": "agreed", "text": "晚九点半后停止"})
    assert response.json()["decision"] == "agreed"
    detail = client.get(f"/api/deliberation/meetings/{meeting['id']}").json()
    assert detail["minutes"] == "到会 15 人" and detail["attendees"][0]["name"] == "王经理"

    response = post(client, f"/api/deliberation/topics/{topic_id}/cases", {"cases": [{"matter_id": matter.pk, "description": "劝导"}]})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "in_progress" and len(response.json()["case_numbers"]) == 1
    # The case is still open: completing is refused with the reason on the field.
    response = post(client, f"/api/deliberation/topics/{topic_id}/complete", {"result": "已解决"})
    assert response.status_code == 422 and "result" in response.json()["detail"]
    # Evaluation before done: refused naming the score.
    client.force_login(people.resident)
    response = post(client, f"/api/deliberation/topics/{topic_id}/evaluations", {"score": 5})
    assert response.status_code == 422 and "score" in response.json()["detail"]


def test_an_illegal_move_is_409_and_outside_scope_is_404(client, people, users):
    topic = flow.raised(people)
    client.force_login(users["worker_a"])
    response = post(client, f"/api/deliberation/topics/{topic.pk}/close-evaluation")
    assert response.status_code == 409 and response.json()["status"] == "raised"
    client.force_login(users["worker_b"])
    assert post(client, f"/api/deliberation/topics/{topic.pk}/accept").status_code == 404
    assert client.get(f"/api/deliberation/topics/{topic.pk}").status_code == 404
    client.force_login(users["department"])
    assert client.get(f"/api/deliberation/topics/{topic.pk}").status_code == 200
    assert post(client, f"/api/deliberation/topics/{topic.pk}/accept").status_code == 403
    assert Topic.objects.get().state == "raised"


def test_bad_input_is_422_naming_fields(client, people):
    client.force_login(people.resident)
    response = post(client, "/api/deliberation/topics", {"title": "", "description": ""})
    assert response.status_code == 422 and set(response.json()["detail"]) == {"title", "description"}
    client.force_login(people.nobody)
    response = post(client, "/api/deliberation/topics", {"title": "t", "description": "d"})
    assert response.json()["detail"] == {"person": ["请先到社区登记本人信息"]}


def test_a_resident_evaluates_over_the_api_once(client, tree, people, users):
    topic = flow.done(tree, people, users)
    client.force_login(people.resident_b)
    assert post(client, f"/api/deliberation/topics/{topic.pk}/evaluations", {"score": 4, "comment": "好"}).status_code == 201
    assert post(client, f"/api/deliberation/topics/{topic.pk}/evaluations", {"score": 5}).status_code == 422
    client.force_login(people.stranger)  # another street: the topic is not theirs to see
    assert post(client, f"/api/deliberation/topics/{topic.pk}/evaluations", {"score": 5}).status_code == 404
    client.force_login(users["community"])
    detail = client.get(f"/api/deliberation/topics/{topic.pk}").json()
    assert (detail["evaluation_count"], detail["evaluation_average"]) == (1, 4.0)
    assert detail["project"]["progress"] == 100
