"""The JSON API: scoped lists (tests/test_scope.py covers every GET endpoint generically), phones
masked, writes through the services with clashes and refusals as 422 naming the field, and 403
for roles that may only look."""

from __future__ import annotations

import json
from datetime import time

import pytest

from tests.activities.conftest import local
from yiwang.activities import services
from yiwang.activities.models import Activity, RosterSlot

pytestmark = pytest.mark.django_db


def post(client, path, payload):
    return client.post(path, json.dumps(payload, default=str), content_type="application/json")


def test_registrations_are_scoped_and_masked(client, users, make_activity, make_user, tree):
    activity = make_activity(capacity=1)
    services.register(activity=activity, name="张秀英", phone="13800000001")
    services.register(activity=activity, name="李建国", phone="13800000002")
    client.force_login(users["community"])
    body = client.get("/api/activities/registrations", {"activity": activity.pk}).json()
    assert body["count"] == 2
    assert [(r["name"], r["phone_masked"], r["status"], r["position"]) for r in body["items"]] == [
        ("张秀英", "138****0001", "registered", None), ("李建国", "138****0002", "waitlisted", 1)]
    assert "13800000001" not in json.dumps(body)
    activity_body = client.get(f"/api/activities/{activity.pk}").json()
    assert (activity_body["registered"], activity_body["waitlisted"], activity_body["seats_left"]) == (1, 1, 0)
    client.force_login(make_user("hanfeng", "street", tree.other_street))
    assert client.get("/api/activities/registrations").json()["count"] == 0
    assert client.get(f"/api/activities/{activity.pk}").status_code == 404


def test_create_publish_and_register_through_the_api(client, users, tree, hall):
    client.force_login(users["community"])
    created = post(client, "/api/activities", {
        "region": tree.community.code, "title": "书法体验课", "kind": "lecture", "venue_id": hall.pk,
        "starts_at": local(5, 9).isoformat(), "ends_at": local(5, 11).isoformat(), "capacity": 1})
    assert created.status_code == 201, created.content
    activity_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert client.post(f"/api/activities/{activity_id}/publish").json()["status"] == "published"
    first = post(client, f"/api/activities/{activity_id}/registrations", {"name": "张秀英", "phone": "13800000001"})
    second = post(client, f"/api/activities/{activity_id}/registrations", {"name": "李建国", "phone": "13800000002"})
    assert first.status_code == second.status_code == 201
    assert (first.json()["position"], second.json()["position"]) == (None, 1)
    assert len(second.json()["code"]) == services.CODE_LENGTH
    cancelled = client.post(f"/api/activities/registrations/{first.json()['registration']['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    promoted = client.get(f"/api/activities/registrations/{second.json()['registration']['id']}").json()
    assert promoted["status"] == "registered" and promoted["position"] is None


def test_clashes_come_back_as_422_naming_the_field(client, users, square):
    client.force_login(users["community"])
    ok = post(client, "/api/activities/slots", {"venue_id": square.pk, "group_name": "红枫舞蹈队", "weekday": 2,
                                                 "start_time": "19:00", "end_time": "20:30", "contact_phone": "13912345678"})
    assert ok.status_code == 201 and ok.json()["contact_phone_masked"] == "139****5678"
    clash = post(client, "/api/activities/slots", {"venue_id": square.pk, "group_name": "夕阳红舞蹈队", "weekday": 2,
                                                    "start_time": "20:00", "end_time": "21:00"})
    assert clash.status_code == 422
    assert "红枫舞蹈队" in clash.json()["detail"]["start_time"][0]
    assert RosterSlot.objects.count() == 1
    timetable = client.get(f"/api/activities/venues/{square.pk}/timetable").json()
    wednesday = timetable["days"][2]
    assert wednesday["weekday"] == 2 and wednesday["entries"][0]["title"] == "红枫舞蹈队" and wednesday["entries"][0]["starts"] == "19:00"


def test_activity_over_the_roster_is_refused_by_the_api(client, users, tree, square, staff):
    wednesday = local(3, 0).weekday()
    services.create_slot(acting_user=staff, venue=square, group_name="红枫舞蹈队", weekday=wednesday, start_time=time(19), end_time=time(20))
    client.force_login(users["community"])
    response = post(client, "/api/activities", {"region": tree.community.code, "title": "露天电影", "venue_id": square.pk,
                                                 "starts_at": local(3, 18).isoformat(), "ends_at": local(3, 21).isoformat()})
    assert response.status_code == 422 and "红枫舞蹈队" in response.json()["detail"]["starts_at"][0]
    assert not Activity.objects.exists()


def test_roles_that_only_look_get_403(client, users, tree, hall, make_activity):
    activity = make_activity()
    client.force_login(users["department"])
    assert client.get(f"/api/activities/{activity.pk}").status_code == 200
    assert client.post(f"/api/activities/{activity.pk}/cancel", json.dumps({"reason": "x"}), content_type="application/json").status_code == 403
    refused = post(client, "/api/activities/venues", {"region": tree.community.code, "name": "越权广场", "kind": "square"})
    assert refused.status_code == 403
    activity.refresh_from_db()
    assert activity.status == "published"


def test_slot_patch_and_delete(client, users, square, staff):
    first = services.create_slot(acting_user=staff, venue=square, group_name="红枫舞蹈队", weekday=0, start_time=time(19), end_time=time(20))
    second = services.create_slot(acting_user=staff, venue=square, group_name="夕阳红舞蹈队", weekday=1, start_time=time(19), end_time=time(20))
    client.force_login(users["community"])
    onto_first = client.patch(f"/api/activities/slots/{second.pk}", json.dumps({"weekday": 0}), content_type="application/json")
    assert onto_first.status_code == 422 and "红枫舞蹈队" in onto_first.json()["detail"]["start_time"][0]
    later = client.patch(f"/api/activities/slots/{second.pk}", json.dumps({"weekday": 0, "start_time": "20:00", "end_time": "21:00"}),
                         content_type="application/json")
    assert later.status_code == 200 and (later.json()["weekday"], later.json()["start_time"]) == (0, "20:00:00")
    assert client.delete(f"/api/activities/slots/{first.pk}").status_code == 204
    assert list(RosterSlot.objects.values_list("group_name", flat=True)) == ["夕阳红舞蹈队"]
    client.force_login(users["worker_b"])
    assert client.delete(f"/api/activities/slots/{second.pk}").status_code == 404
