"""The votes API: staff create and run ballots in scope; residents list their own and vote once;
results stay hidden until the ballot closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.votes.conftest import answers_for
from yiwang.votes import services
from yiwang.votes.models import Ballot, Vote

pytestmark = pytest.mark.django_db


def _json_answers(ballot):
    return {str(k): v for k, v in answers_for(ballot).items()}


def test_staff_create_open_and_read_a_ballot(client, users, tree, people):
    client.force_login(users["community"])
    now = timezone.now()
    payload = {
        "region": tree.community.code, "title": "优秀三长评选", "kind": "honour", "eligible_building_id": people.b1.pk,
        "opens_at": (now - timedelta(minutes=5)).isoformat(), "closes_at": (now + timedelta(days=3)).isoformat(), "publish_on_close": False,
        "questions": [{"text": "请选出优秀楼栋长", "kind": "single",
                       "options": [{"person_id": people.zhang.person.pk}, {"person_id": people.li.person.pk}, {"label": "其他"}]}],
    }
    response = client.post("/api/votes/ballots", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["scope"], body["phase"]) == ("draft", "滨湖小区1栋居民", "draft")
    options = body["questions"][0]["options"]
    assert [(o["label"], o["person_id"]) for o in options] == [("张秀英", people.zhang.person.pk), ("李建国", people.li.person.pk), ("其他", None)]
    opened = client.post(f"/api/votes/ballots/{body['id']}/open")
    assert opened.status_code == 200 and opened.json()["phase"] == "voting"
    listed = client.get("/api/votes/ballots", {"kind": "honour"}).json()
    assert listed["count"] == 1 and listed["items"][0]["title"] == "优秀三长评选"


def test_bad_ballot_is_422_naming_the_field(client, users, tree):
    client.force_login(users["community"])
    now = timezone.now()
    response = client.post("/api/votes/ballots", {
        "region": tree.community.code, "title": "问卷", "eligible_region": tree.other_street.code,
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {"eligible_region": ["投票范围须在发起单位永先社区之内"]}
    assert not Ballot.objects.exists()


def test_grid_worker_cannot_create_for_the_community(client, users, tree):
    client.force_login(users["worker_a"])
    now = timezone.now()
    response = client.post("/api/votes/ballots", {
        "region": tree.community.code, "title": "问卷", "eligible_region": tree.grid_a.code,
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()}, content_type="application/json")
    assert response.status_code == 403


def test_resident_lists_votes_once_and_sees_results_only_when_published(client, make_ballot, people, users):
    ballot = make_ballot()
    client.force_login(people.zhang.user)
    mine = client.get("/api/votes/mine").json()
    assert [(row["ballot"]["id"], row["voted"]) for row in mine["voting"]] == [(ballot.pk, False)]

    first = client.post(f"/api/votes/ballots/{ballot.pk}/votes", {"answers": _json_answers(ballot)}, content_type="application/json")
    assert first.status_code == 201, first.content
    assert first.json()["answers"] == 5  # single, two picks, rating, text
    again = client.post(f"/api/votes/ballots/{ballot.pk}/votes", {"answers": _json_answers(ballot)}, content_type="application/json")
    assert again.status_code == 422 and again.json()["detail"] == {"person": ["您已参加过本次投票，每人限投一次"]}
    assert client.get("/api/votes/mine").json()["voting"][0]["voted"] is True

    hidden = client.get(f"/api/votes/mine/{ballot.pk}/results").json()
    assert hidden["visible"] is False and hidden["questions"] == []
    services.close_ballot(ballot, acting_user=users["community"])
    shown = client.get(f"/api/votes/mine/{ballot.pk}/results").json()
    assert shown["visible"] is True and shown["questions"][0]["options"][0] == {
        "id": shown["questions"][0]["options"][0]["id"], "label": "老年食堂", "person_id": None, "user_id": None, "count": 1, "percent": 100.0}


def test_resident_cannot_see_or_vote_in_a_ballot_outside_their_scope(client, make_ballot, people, tree):
    ballot = make_ballot(eligible_region=tree.grid_b)
    client.force_login(people.zhang.user)
    assert client.get("/api/votes/mine").json()["voting"] == []
    assert client.post(f"/api/votes/ballots/{ballot.pk}/votes", {"answers": _json_answers(ballot)},
                       content_type="application/json").status_code == 404
    assert client.get(f"/api/votes/mine/{ballot.pk}/results").status_code == 404
    # Naming someone else is staff work: a resident gets 404 for a person outside any scope of theirs.
    assert client.post(f"/api/votes/ballots/{ballot.pk}/votes", {"answers": {}, "person_id": people.zhao.person.pk},
                       content_type="application/json").status_code == 404
    assert not Vote.objects.exists()


def test_bad_answer_is_422_naming_the_question(client, make_ballot, people):
    ballot = make_ballot()
    answers = _json_answers(ballot)
    rating = ballot.questions.get(position=3)
    answers[str(rating.pk)] = 9
    client.force_login(people.zhang.user)
    response = client.post(f"/api/votes/ballots/{ballot.pk}/votes", {"answers": answers}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {f"question_{rating.pk}": ["第3题「总体满意度」：评分须为1到5的整数"]}


def test_staff_enter_a_paper_ballot_and_read_turnout_and_results(client, make_ballot, people, users, tree):
    ballot = make_ballot()
    client.force_login(users["worker_a"])
    entered = client.post(f"/api/votes/ballots/{ballot.pk}/votes", {"answers": _json_answers(ballot), "person_id": people.wang.person.pk},
                          content_type="application/json")
    assert entered.status_code == 201, entered.content
    # Grid A's worker cannot enter one for grid B's resident.
    assert client.post(f"/api/votes/ballots/{ballot.pk}/votes", {"answers": _json_answers(ballot), "person_id": people.zhao.person.pk},
                       content_type="application/json").status_code == 404
    client.force_login(users["community"])
    assert client.get(f"/api/votes/ballots/{ballot.pk}/results").json()["visible"] is False
    turnout = client.get(f"/api/votes/ballots/{ballot.pk}/turnout").json()
    assert (turnout["votes"], turnout["eligible"]) == (1, 4)
    assert [(g["grid_code"], g["votes"], g["eligible"]) for g in turnout["grids"]] == [(tree.grid_a.code, 1, 3), (tree.grid_b.code, 0, 1)]
    client.post(f"/api/votes/ballots/{ballot.pk}/close")
    results = client.get(f"/api/votes/ballots/{ballot.pk}/results").json()
    assert results["visible"] is True and results["questions"][2]["average"] == 5.0


def test_grid_projects_endpoint(client, users, tree):
    client.force_login(users["community"])
    now = timezone.now()
    response = client.post("/api/votes/grid-projects", {
        "community": tree.community.code, "period": "2026年上半年", "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=14)).isoformat(),
        "candidates": {tree.grid_a.code: ["加装电梯", "路灯更换"], tree.grid_b.code: ["停车棚", "口袋公园"]}}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert [b["eligible_region_code"] for b in response.json()] == [tree.grid_a.code, tree.grid_b.code]
    client.force_login(users["worker_a"])
    response = client.post("/api/votes/grid-projects", {
        "community": tree.community.code, "period": "2026年下半年", "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=14)).isoformat(), "candidates": {tree.grid_a.code: ["甲", "乙"]}}, content_type="application/json")
    assert response.status_code == 404  # the community is outside a grid worker's CHANGE scope
