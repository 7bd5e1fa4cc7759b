"""The wishes API: post, review, claim, give back, fulfil, confirm, withdraw; what each caller sees
(the endpoints tests/test_scope.py leaves to this file: mine, claimable, claimed, counts)."""

from __future__ import annotations

import pytest

from tests.wishes.conftest import png_upload
from yiwang.wishes import services
from yiwang.wishes.models import Wish

pytestmark = pytest.mark.django_db


def test_whole_flow_over_the_api(client, cast, users):
    client.force_login(cast.wisher_user)
    response = client.post("/api/wishes", {"title": "想要一个能听戏的收音机", "category": "goods"}, content_type="application/json")
    assert response.status_code == 201, response.content
    wish_id = response.json()["id"]
    assert response.json()["status"] == "submitted" and response.json()["person"] == "王秀英"

    client.force_login(users["community"])
    response = client.post(f"/api/wishes/{wish_id}/review", {"decision": "approve", "deadline": "2999-12-31"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "published" and response.json()["deadline"] == "2999-12-31"

    client.force_login(cast.member_user)
    claimable = client.get("/api/wishes/claimable").json()
    assert claimable["identities"] == [{"kind": "party_member", "label": "李建国(党员)"}]
    assert [(w["id"], w["person"]) for w in claimable["items"]] == [(wish_id, "王**")]  # masked before the claim
    response = client.post(f"/api/wishes/{wish_id}/claim", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["claimant"] == "李建国(党员)"
    assert response.json()["person"] == "王秀英"  # the claimant needs to know whom to help
    assert [w["id"] for w in client.get("/api/wishes/claimed").json()] == [wish_id]

    response = client.post(f"/api/wishes/{wish_id}/fulfil", {"note": "送上门并调好了频道", "photos": [png_upload()]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "fulfilled" and len(body["photos"]) == 1
    assert client.get(body["photos"][0]).status_code == 200

    client.force_login(cast.wisher_user)
    mine = client.get("/api/wishes/mine").json()
    assert [(w["id"], w["status"]) for w in mine] == [(wish_id, "fulfilled")]
    assert client.get(body["photos"][0]).status_code == 200
    response = client.post(f"/api/wishes/{wish_id}/confirm", {"feedback": "谢谢"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["confirmed_via"] == "resident"


def test_second_claim_gets_a_clear_422(client, published, cast):
    client.force_login(cast.volunteer_user)
    assert client.post(f"/api/wishes/{published.pk}/claim", {}, content_type="application/json").status_code == 200
    client.force_login(cast.member_user)
    response = client.post(f"/api/wishes/{published.pk}/claim", {}, content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {"detail": {"status": ["该心愿已被其他人认领，请选择其他心愿"]}}


def test_reject_needs_reason_and_bad_decision_is_422(client, posted, users):
    client.force_login(users["community"])
    response = client.post(f"/api/wishes/{posted.pk}/review", {"decision": "reject"}, content_type="application/json")
    assert response.status_code == 422 and "reason" in response.json()["detail"]
    response = client.post(f"/api/wishes/{posted.pk}/review", {"decision": "later"}, content_type="application/json")
    assert response.status_code == 422 and "decision" in response.json()["detail"]
    response = client.post(f"/api/wishes/{posted.pk}/review", {"decision": "reject", "reason": "重复提交"}, content_type="application/json")
    assert response.json()["status"] == "rejected" and response.json()["reject_reason"] == "重复提交"


def test_grid_worker_cannot_review_403(client, posted, users):
    client.force_login(users["worker_a"])
    response = client.post(f"/api/wishes/{posted.pk}/review", {"decision": "approve"}, content_type="application/json")
    assert response.status_code == 403


def test_staff_post_for_person_in_scope_only(client, cast, users):
    client.force_login(users["worker_a"])
    response = client.post("/api/wishes", {"title": "想要助行器", "person_id": cast.neighbour.pk}, content_type="application/json")
    assert response.status_code == 404  # the neighbour lives in grid B
    client.force_login(users["worker_b"])
    response = client.post("/api/wishes", {"title": "想要助行器", "person_id": cast.neighbour.pk}, content_type="application/json")
    assert response.status_code == 201 and response.json()["posted_via"] == "staff"


def test_fulfil_without_photo_is_422(client, published, cast):
    services.claim_wish(published, acting_user=cast.member_user)
    client.force_login(cast.member_user)
    response = client.post(f"/api/wishes/{published.pk}/fulfil", {"note": "完成"})
    assert response.status_code == 422 and "photos" in response.json()["detail"]


def test_withdraw_and_give_back(client, published, cast):
    client.force_login(cast.member_user)
    client.post(f"/api/wishes/{published.pk}/claim", {}, content_type="application/json")
    client.force_login(cast.wisher_user)
    assert client.post(f"/api/wishes/{published.pk}/withdraw").status_code == 422
    client.force_login(cast.member_user)
    response = client.post(f"/api/wishes/{published.pk}/release", {"note": "出差"}, content_type="application/json")
    assert response.json()["status"] == "published" and response.json()["claimant"] == ""
    client.force_login(cast.wisher_user)
    assert client.post(f"/api/wishes/{published.pk}/withdraw").json()["status"] == "withdrawn"


def test_who_sees_a_wish(client, published, cast, users):
    # Residents of the community see published wishes (masked); not those waiting for review.
    client.force_login(cast.member_user)
    assert client.get(f"/api/wishes/{published.pk}").json()["person"] == "王**"
    waiting = services.post_wish(acting_user=users["community"], title="待审核的", person=cast.neighbour)
    assert client.get(f"/api/wishes/{waiting.pk}").status_code == 404
    # A party member of another street sees nothing of 永先.
    client.force_login(cast.far_member_user)
    assert client.get(f"/api/wishes/{published.pk}").status_code == 404
    assert client.get("/api/wishes/claimable").json()["items"] == []
    # A resident without a person sees nothing and gets empty lists.
    client.force_login(users["resident"])
    assert client.get(f"/api/wishes/{published.pk}").status_code == 404
    assert client.get("/api/wishes/mine").json() == []
    assert client.get("/api/wishes/claimable").json() == {"identities": [], "items": []}
    assert client.get("/api/wishes/counts").json() == {"by_community": [], "by_claimant": []}
    # Anonymous: 401.
    client.logout()
    for path in ("/api/wishes/mine", "/api/wishes/claimable", "/api/wishes/claimed", "/api/wishes/counts", f"/api/wishes/{published.pk}"):
        assert client.get(path).status_code == 401


def test_photo_hidden_from_neighbours(client, published, cast, users):
    services.claim_wish(published, acting_user=cast.member_user)
    services.fulfil_wish(published, acting_user=cast.member_user, photos=[png_upload()])
    url = f"/wishes/photos/{published.photos.get().pk}/"
    client.force_login(cast.volunteer_user)  # lives in the community, did not claim
    assert client.get(url).status_code == 404
    client.force_login(users["worker_b"])  # the wish is in grid A
    assert client.get(url).status_code == 404
    client.force_login(users["worker_a"])
    assert client.get(url).status_code == 200


def test_counts_in_scope(client, published, cast, users, tree):
    services.claim_wish(published, acting_user=cast.unit_user)
    services.post_wish(acting_user=users["community"], title="第二个", person=cast.neighbour)
    client.force_login(users["street"])
    body = client.get("/api/wishes/counts").json()
    assert body["by_community"] == [{"community_code": tree.community.code, "community_name": "永先社区", "total": 2, "submitted": 1,
                                     "published": 0, "rejected": 0, "claimed": 1, "fulfilled": 0, "confirmed": 0, "withdrawn": 0}]
    assert body["by_claimant"] == [{"kind": "alliance_unit", "id": cast.unit.pk, "name": "开州区供电公司", "claimed": 1, "fulfilled": 0, "confirmed": 0}]
    client.force_login(users["worker_b"])  # only the neighbour's wish, in grid B
    body = client.get("/api/wishes/counts").json()
    assert [(r["total"], r["submitted"], r["claimed"]) for r in body["by_community"]] == [(1, 1, 0)]
    assert body["by_claimant"] == []


def test_list_filters_by_status(client, published, cast, users):
    waiting = services.post_wish(acting_user=users["community"], title="待审核的", person=cast.neighbour)
    client.force_login(users["community"])
    body = client.get("/api/wishes", {"status": "published"}).json()
    assert (body["count"], [w["id"] for w in body["items"]]) == (1, [published.pk])
    assert [w["id"] for w in client.get("/api/wishes").json()["items"]] == [waiting.pk, published.pk]
    assert Wish.objects.count() == 2
