"""The API: grant, reverse, redeem, cancel; the resident's own account; errors as 422/403/404."""

from __future__ import annotations

import pytest

from yiwang.pointsbank import selectors, services

pytestmark = pytest.mark.django_db


def test_grant_and_ledger(client, users, person_a, person_b):
    client.force_login(users["worker_a"])
    response = client.post("/api/pointsbank/entries", {"bank_code": "moral", "person_id": person_a.pk, "points": 2,
                                                       "rule_code": "xs_lecture"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["granted_by"] == "worker_a" and body["dimension"] == "修身" and body["balance_after"] == 2
    items = client.get("/api/pointsbank/entries", {"person_id": person_a.pk}).json()["items"]
    assert [i["id"] for i in items] == [body["id"]]
    balances = client.get("/api/pointsbank/balances", {"bank": "moral"}).json()
    assert balances["count"] == 1 and balances["items"][0]["points"] == 2
    # Outside scope: the person is not found.
    response = client.post("/api/pointsbank/entries", {"bank_code": "moral", "person_id": person_b.pk, "points": 2, "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 404


def test_errors_name_the_field(client, users, person_a):
    client.force_login(users["worker_a"])
    response = client.post("/api/pointsbank/entries", {"bank_code": "moral", "person_id": person_a.pk, "points": -3, "reason": "扣分"},
                           content_type="application/json")
    assert response.status_code == 422 and "points" in response.json()["detail"]
    response = client.post("/api/pointsbank/entries", {"bank_code": "gone", "person_id": person_a.pk, "points": 3, "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 422 and "bank_code" in response.json()["detail"]
    client.force_login(users["department"])
    response = client.post("/api/pointsbank/entries", {"bank_code": "moral", "person_id": person_a.pk, "points": 3, "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 404


def test_reverse(client, users, person_a):
    entry = services.grant_points(bank_code="moral", person=person_a, points=5, reason="x", acting_user=users["worker_a"])
    client.force_login(users["worker_a"])
    response = client.post(f"/api/pointsbank/entries/{entry.pk}/reverse", {"reason": "误记"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["reverses_id"] == entry.pk
    again = client.post(f"/api/pointsbank/entries/{entry.pk}/reverse", {"reason": "误记"}, content_type="application/json")
    assert again.status_code == 422 and "entry" in again.json()["detail"]


def test_resident_me_redeem_and_cancel(client, users, person_a, resident_a, reward):
    services.grant_points(bank_code="moral", person=person_a, points=25, reason="x", acting_user=users["worker_a"])
    client.force_login(resident_a)
    me = client.get("/api/pointsbank/me").json()
    assert {b["bank"]: b["points"] for b in me["balances"]}["moral"] == 25
    assert [r["name"] for r in me["rewards"]] == ["洗衣液一瓶"]
    response = client.post(f"/api/pointsbank/rewards/{reward.pk}/redeem", {"quantity": 2}, content_type="application/json")
    assert response.status_code == 201 and response.json()["points"] == 20
    assert selectors.balance(bank_code="moral", person=person_a) == 5
    response = client.post(f"/api/pointsbank/rewards/{reward.pk}/redeem", {}, content_type="application/json")
    assert response.status_code == 422 and "points" in response.json()["detail"]
    mine = client.get("/api/pointsbank/me/entries").json()
    assert mine["count"] == 2 and {i["kind"] for i in mine["items"]} == {"grant", "redeem"}
    redemption_id = client.get("/api/pointsbank/me").json()["redemptions"][0]["id"]
    response = client.post(f"/api/pointsbank/redemptions/{redemption_id}/cancel", {"note": "不要了"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert selectors.balance(bank_code="moral", person=person_a) == 25
    # A resident may not hand over their own reward nor act for someone else.
    assert client.post(f"/api/pointsbank/redemptions/{redemption_id}/fulfil", {}, content_type="application/json").status_code == 404


def test_resident_without_person_and_anonymous(client, users):
    assert client.get("/api/pointsbank/me").status_code == 401
    client.force_login(users["resident"])
    response = client.get("/api/pointsbank/me")
    assert response.status_code == 422 and "person" in response.json()["detail"]


def test_banks_list(client, users):
    client.force_login(users["worker_a"])
    banks = {b["code"]: b for b in client.get("/api/pointsbank/banks").json()}
    assert banks["moral"]["dimensions"] == ["修身", "润家", "睦邻", "怡城"]
    assert any(r["code"] == "yc_litter" and r["points"] < 0 for r in banks["moral"]["rules"])


def test_staff_redeem_for_a_resident_and_fulfil(client, users, person_a, reward):
    services.grant_points(bank_code="moral", person=person_a, points=10, reason="x", acting_user=users["worker_a"])
    client.force_login(users["worker_a"])
    response = client.post(f"/api/pointsbank/rewards/{reward.pk}/redeem", {"person_id": person_a.pk}, content_type="application/json")
    assert response.status_code == 201
    redemption_id = response.json()["id"]
    pending = client.get("/api/pointsbank/redemptions", {"status": "pending"}).json()
    assert [r["id"] for r in pending["items"]] == [redemption_id]
    response = client.post(f"/api/pointsbank/redemptions/{redemption_id}/fulfil", {"note": "已领取"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "fulfilled"
    client.force_login(users["worker_b"])
    assert client.post(f"/api/pointsbank/rewards/{reward.pk}/redeem", {"person_id": person_a.pk},
                       content_type="application/json").status_code == 404
