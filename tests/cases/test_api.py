"""The case API end to end with the test client: intake, actions, inbox, summonses, device alerts."""

from __future__ import annotations

import json
import time

import pytest

from yiwang.cases import iot
from yiwang.cases.models import Case, DeviceAlert, DeviceSource

from .conftest import POINT_A


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_grid_worker_reports_through_the_api(client, users, tree):
    client.force_login(users["worker_a"])
    response = _post(client, "/api/cases", {"matter": "event-06010", "lon": POINT_A[0], "lat": POINT_A[1], "description": "垃圾堆放", "channel": "grid_worker"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["grid_code"] == tree.grid_a.code and body["tier"] == "A" and body["status"] == "reported" and len(body["access_code"]) == 8
    case = Case.objects.get(number=body["number"])
    assert case.point_entries.get().event == "reported"
    detail = client.get(f"/api/cases/{case.number}").json()
    assert detail["events"][0]["action"] == "report" and detail["routings"][0]["reasons"]


@pytest.mark.parametrize("body, field", [
    ({"matter": "99999", "lon": 108.302, "lat": 31.105}, "matter"),
    ({"matter": "S0001", "lon": 120.0, "lat": 20.0}, "lat"),
    ({"matter": "S0001"}, "lat"),
    ({"matter": "S0004", "lon": 108.302, "lat": 31.105, "attributes": {"location_kind": "roof"}}, "attribute[location_kind]"),
    ({"matter": "S0001", "lon": 108.302, "lat": 31.105, "urgency": "whenever"}, "urgency"),
])
def test_bad_intake_names_the_field_and_writes_nothing(client, users, body, field):
    client.force_login(users["community"])
    response = _post(client, "/api/cases", {"channel": "desk", **body})
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"]
    assert Case.objects.count() == 0


def test_residents_cannot_use_staff_channels(client, users):
    client.force_login(users["worker_a"])
    response = _post(client, "/api/cases", {"matter": "S0001", "lon": POINT_A[0], "lat": POINT_A[1], "channel": "hotline"})
    assert response.status_code == 403


def test_actions_inbox_and_a_lost_race(client, users, report):
    case = report("S0001").case
    client.force_login(users["community"])
    inbox = [c["number"] for c in client.get("/api/cases/inbox").json()["items"]]
    assert case.number in inbox
    assert _post(client, f"/api/cases/{case.number}/actions/accept", {}).json()["status"] == "accepted"
    # A second accept (someone else was quicker) is refused and writes nothing.
    again = _post(client, f"/api/cases/{case.number}/actions/accept", {})
    assert again.status_code == 409 and case.events.count() == 2
    assert _post(client, f"/api/cases/{case.number}/actions/dispatch", {}).json()["status"] == "dispatched"
    client.force_login(users["worker_a"])
    assert case.number in [c["number"] for c in client.get("/api/cases/inbox").json()["items"]]
    client.force_login(users["worker_b"])
    assert client.get(f"/api/cases/{case.number}").status_code == 404
    assert _post(client, f"/api/cases/{case.number}/actions/sign", {}).status_code == 404


def test_summons_round_trip_and_yearly_counts(client, users, report, department):
    case = report("06001").case
    client.force_login(users["street"])
    for action in ("accept", "dispatch"):
        _post(client, f"/api/cases/{case.number}/actions/{action}", {})
    client.force_login(users["department"])
    _post(client, f"/api/cases/{case.number}/actions/sign", {})
    client.force_login(users["street"])
    response = _post(client, f"/api/cases/{case.number}/summons", {"reason": "违建拆除需多部门联合", "parts": [
        {"department": department.code, "task": "现场执法", "checkin_hours": 2},
        {"member": "worker_a", "task": "现场引导"},
    ]})
    assert response.status_code == 201, response.content
    parts = response.json()
    client.force_login(users["department"])
    dept_part = parts[0]["id"]
    assert _post(client, f"/api/cases/summons/parts/{dept_part}/done", {"result": "x", "stars": 5}).status_code == 422  # not checked in
    assert _post(client, f"/api/cases/summons/parts/{dept_part}/check-in", {}).status_code == 200
    assert _post(client, f"/api/cases/summons/parts/{dept_part}/done", {"result": "已拆除", "stars": 5}).status_code == 200
    client.force_login(users["worker_a"])
    assert _post(client, f"/api/cases/summons/parts/{parts[1]['id']}/check-in", {}).status_code == 200
    assert _post(client, f"/api/cases/summons/parts/{parts[1]['id']}/done", {"result": "已引导", "stars": 4}).status_code == 200
    client.force_login(users["street"])
    for part in parts:
        assert _post(client, f"/api/cases/summons/parts/{part['id']}/rate", {"stars": 4}).status_code == 200
    summons = case.summonses.get()
    assert summons.status == "closed" and summons.closed_at is not None
    yearly = client.get("/api/cases/summons/yearly").json()
    assert [(row["department__name"], row["answered"]) for row in yearly] == [(department.name, 1)]


@pytest.fixture
def platform(db):
    source = DeviceSource(name="ebike-platform")
    source.set_secret("s3cret-shared")
    source.save()
    return source


@pytest.fixture
def smoke_device(tree, platform, matters):
    from yiwang.cases.models import Device

    return Device.objects.create(source=platform, code="SMK-001", name="3栋烟感", matter=matters("S0005"), region=tree.grid_a,
                                 lon=POINT_A[0], lat=POINT_A[1], merge_window_minutes=30)


def _signed(client, body: dict, secret="s3cret-shared", timestamp=None):
    raw = json.dumps(body).encode()
    ts = str(int(timestamp if timestamp is not None else time.time()))
    return client.post("/api/devices/ebike-platform", raw, content_type="application/json",
                       headers={iot.TIMESTAMP_HEADER: ts, iot.SIGNATURE_HEADER: "sha256=" + iot.sign(secret, ts, raw)})


def test_device_alerts_open_one_case_per_window(client, smoke_device):
    first = _signed(client, {"device": "SMK-001", "kind": "smoke", "message": "烟雾浓度超标"})
    assert first.status_code == 201, first.content
    second = _signed(client, {"device": "SMK-001", "kind": "smoke"})
    assert second.status_code == 200 and second.json()["case"] == first.json()["case"]
    assert Case.objects.filter(channel="device").count() == 1 and DeviceAlert.objects.count() == 2


@pytest.mark.parametrize("tamper", ["secret", "stale", "unsigned"])
def test_bad_signatures_are_refused_and_write_nothing(client, smoke_device, tamper):
    if tamper == "unsigned":
        response = client.post("/api/devices/ebike-platform", json.dumps({"device": "SMK-001", "kind": "smoke"}), content_type="application/json")
    else:
        response = _signed(client, {"device": "SMK-001", "kind": "smoke"}, secret="wrong" if tamper == "secret" else "s3cret-shared",
                           timestamp=time.time() - 3600 if tamper == "stale" else None)
    assert response.status_code == 403
    assert Case.objects.count() == 0 and DeviceAlert.objects.count() == 0


def test_unknown_device_is_a_clear_422(client, smoke_device):
    response = _signed(client, {"device": "NOPE", "kind": "smoke"})
    assert response.status_code == 422 and "device_id" in response.json()["detail"]


def test_indicators_endpoint_counts_only_the_callers_cases(client, users, report):
    from .conftest import POINT_B

    report("S0001")
    report("S0001", at=POINT_B)
    client.force_login(users["worker_a"])
    body = client.get("/api/cases/indicators").json()
    assert body["total"]["cases"] == 1
    client.force_login(users["community"])
    body = client.get("/api/cases/indicators", {"region": "500154003001", "by": "region"}).json()
    assert body["total"]["cases"] == 2
    assert {row["label"]: row["cases"] for row in body["rows"]} == {"永先社区第1网格": 1, "永先社区第2网格": 1}
    assert client.get("/api/cases/indicators", {"by": "colour"}).status_code == 422


def test_monthly_points_per_worker(client, users, tree):
    from .conftest import POINT_B

    client.force_login(users["worker_a"])
    for _ in range(2):
        assert _post(client, "/api/cases", {"matter": "S0001", "lon": POINT_A[0], "lat": POINT_A[1], "channel": "grid_worker"}).status_code == 201
    client.force_login(users["worker_b"])
    _post(client, "/api/cases", {"matter": "S0001", "lon": POINT_B[0], "lat": POINT_B[1], "channel": "grid_worker"})
    client.force_login(users["community"])
    rows = client.get("/api/points/monthly").json()
    assert {(r["worker"], r["points"], r["entries"]) for r in rows} == {("worker_a", 2, 2), ("worker_b", 1, 1)}
    client.force_login(users["worker_b"])
    assert [r["worker"] for r in client.get("/api/points/monthly").json()] == ["worker_b"]


def test_photos_are_served_only_within_scope(client, users, report, png):
    case = report("S0001", photos=[png()]).case
    client.force_login(users["worker_a"])
    url = client.get(f"/api/cases/{case.number}").json()["photos"][0]
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.force_login(users["worker_b"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


def test_alliance_units_owe_two_answers_a_year(client, users, tree):
    from yiwang.matters.models import Department

    Department.objects.create(code="GD", name="国网供电公司", kind="utility", region=tree.district, is_alliance_unit=True)
    client.force_login(users["street"])
    rows = client.get("/api/cases/summons/yearly", {"year": 2026}).json()
    assert [(r["department__name"], r["answered"], r["short"]) for r in rows] == [("国网供电公司", 0, True)]
