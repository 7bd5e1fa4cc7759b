"""Device alerts in the common shape (device id, alert type, time, optional location): the place
comes from the device's registered component when the alert has none, repeats of one type within
the window join one case, and refused alerts write nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases import iot
from yiwang.cases.models import Case, Device, DeviceAlert, DeviceSource

from .conftest import POINT_A, POINT_B

pytestmark = pytest.mark.django_db
SECRET = "s3cret-shared"


@pytest.fixture
def platform(db):
    source = DeviceSource(name="iot-hub")
    source.set_secret(SECRET)
    source.save()
    return source


@pytest.fixture
def charging_pile(tree):
    """A registered charging pile (充电桩) in grid B, as the registry holds it."""
    from yiwang.registry import component_types
    from yiwang.registry.models import Component, ComponentType

    component_types.ensure()
    return Component.objects.create(region=tree.micro_b1, type=ComponentType.objects.get(code="01054"), code="500154010540000001",
                                    name="3栋车棚充电桩", device_id="CDZ-0001", lon=POINT_B[0], lat=POINT_B[1])


@pytest.fixture
def charger(tree, platform, matters, charging_pile):
    """An e-bike charging monitor mounted on the pile: no point of its own."""
    return Device.objects.create(source=platform, code="CDZ-0001", name="3栋车棚充电监测", matter=matters("S0004"), region=tree.grid_b,
                                 component=charging_pile)


def _post(client, body, *, secret=SECRET):
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    ts = str(int(time.time()))
    return client.post("/api/devices/iot-hub", raw, content_type="application/json",
                       headers={iot.TIMESTAMP_HEADER: ts, iot.SIGNATURE_HEADER: "sha256=" + iot.sign(secret, ts, raw)})


def _at(minutes_ago: float) -> str:
    return (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()


def test_an_over_charging_alert_without_our_attributes_opens_a_case_at_the_registered_place(client, charger, tree):
    response = _post(client, {"device_id": "CDZ-0001", "alert_type": "over_charge", "time": _at(2)})
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["case"])
    assert case.channel == "device" and case.device == charger and case.matter.code == "S0004"
    assert (case.lon, case.lat, case.region) == (POINT_B[0], POINT_B[1], tree.grid_b)  # the pile's point, from the registry
    assert case.address == "3栋车棚充电桩" and case.attributes == {}
    alert = DeviceAlert.objects.get()
    assert alert.kind == "over_charge" and alert.opened_case and abs((timezone.now() - alert.raised_at).total_seconds() - 120) < 30


def test_an_alert_with_its_own_location_is_placed_there(client, charger, tree):
    response = _post(client, {"device_id": "CDZ-0001", "alert_type": "over_charge",
                              "location": {"lon": POINT_A[0], "lat": POINT_A[1], "address": "5栋楼道"}})
    case = Case.objects.get(number=response.json()["case"])
    assert (case.region, case.address) == (tree.grid_a, "5栋楼道")


def test_a_device_with_its_own_point_is_placed_there(client, platform, matters, tree):
    Device.objects.create(source=platform, code="SMK-1", name="3栋烟感", matter=matters("S0005"), region=tree.grid_a,
                          lon=POINT_A[0], lat=POINT_A[1], address="3栋2单元")
    case = Case.objects.get(number=_post(client, {"device_id": "SMK-1", "alert_type": "smoke"}).json()["case"])
    assert (case.region, case.address) == (tree.grid_a, "3栋2单元")


def test_repeats_of_one_type_within_the_window_join_one_case(client, charger, settings):
    settings.YIWANG_DEVICE_ALERT_WINDOW_MINUTES = 30
    first = _post(client, {"device_id": "CDZ-0001", "alert_type": "over_charge", "time": _at(180)})
    assert first.status_code == 201
    # 20 minutes later, then 25 after that: each within 30 minutes of the last, so one case.
    for minutes_ago in (160, 135):
        again = _post(client, {"device_id": "CDZ-0001", "alert_type": "over_charge", "time": _at(minutes_ago)})
        assert again.status_code == 200 and again.json() == {**again.json(), "case": first.json()["case"], "opened": False}
    # Another type from the same device is another matter of fact: its own case.
    other = _post(client, {"device_id": "CDZ-0001", "alert_type": "temperature", "time": _at(134)})
    assert other.status_code == 201 and other.json()["case"] != first.json()["case"]
    # 55 minutes after the last over-charge alert: outside the window, a new case.
    late = _post(client, {"device_id": "CDZ-0001", "alert_type": "over_charge", "time": _at(80)})
    assert late.status_code == 201 and late.json()["case"] not in (first.json()["case"], other.json()["case"])
    assert Case.objects.count() == 3 and DeviceAlert.objects.count() == 5


def test_a_device_window_overrides_the_setting(charger, settings):
    settings.YIWANG_DEVICE_ALERT_WINDOW_MINUTES = 30
    charger.merge_window_minutes = 120
    charger.save()
    first, _ = iot.receive(charger.source, {"device_id": "CDZ-0001", "alert_type": "over_charge", "time": _at(100)})
    second, opened = iot.receive(charger.source, {"device_id": "CDZ-0001", "alert_type": "over_charge"})
    assert not opened and second.case == first.case


@pytest.mark.rollups_unchecked  # closes the case with update()
def test_an_alert_after_the_case_is_closed_opens_a_new_one(charger):
    first, _ = iot.receive(charger.source, {"device_id": "CDZ-0001", "alert_type": "over_charge"})
    Case.objects.filter(pk=first.case.pk).update(status="closed")
    second, opened = iot.receive(charger.source, {"device_id": "CDZ-0001", "alert_type": "over_charge"})
    assert opened and second.case != first.case


@pytest.mark.parametrize("body, field, words", [
    ({"device_id": "NOPE", "alert_type": "smoke"}, "device_id", "没有登记设备“NOPE”"),
    ({"alert_type": "smoke"}, "device_id", "告警未指明设备"),
    ({"device_id": "CDZ-0001"}, "alert_type", "告警未指明类型"),
    ({"device_id": "CDZ-0001", "alert_type": "over_charge", "time": "yesterday"}, "time", "ISO 8601"),
    ({"device_id": "CDZ-0001", "alert_type": "over_charge", "time": "2999-01-01T00:00:00+08:00"}, "time", "晚于"),
    ({"device_id": "CDZ-0001", "alert_type": "over_charge", "location": {"lon": 108.3}}, "location", "lon和lat"),
    ({"device_id": "CDZ-0001", "alert_type": "over_charge", "location": {"lon": "east", "lat": 31.1}}, "location.lon", "数字"),
    ({"device_id": "CDZ-0001", "alert_type": "over_charge", "location": {"lon": 108.3, "lat": 31.1, "crs": "mars"}}, "location.crs", "坐标系"),
    # A point outside every grid: the case cannot be placed, so neither case nor alert is written.
    ({"device_id": "CDZ-0001", "alert_type": "over_charge", "location": {"lon": 100.0, "lat": 20.0}}, "lat", "不在任何网格内"),
])
def test_a_refused_alert_is_a_clear_422_and_writes_nothing(client, charger, body, field, words):
    response = _post(client, body)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert field in detail and words in json.dumps(detail, ensure_ascii=False)
    assert Case.objects.count() == 0 and DeviceAlert.objects.count() == 0


def test_a_stopped_device_is_refused(client, charger):
    Device.objects.filter(pk=charger.pk).update(active=False)
    response = _post(client, {"device_id": "CDZ-0001", "alert_type": "over_charge"})
    assert response.status_code == 422 and "已停用" in response.json()["detail"]["device_id"][0]
    assert Case.objects.count() == 0


def test_a_bad_signature_is_refused_and_writes_nothing(client, charger):
    response = _post(client, {"device_id": "CDZ-0001", "alert_type": "over_charge"}, secret="guess")
    assert response.status_code == 403 and Case.objects.count() == 0 and DeviceAlert.objects.count() == 0


def test_a_body_that_is_not_one_alert_is_refused(client, charger):
    assert _post(client, b"not json").status_code == 422
    assert _post(client, [{"device_id": "CDZ-0001"}]).status_code == 422
    assert Case.objects.count() == 0


def test_a_device_needs_a_registered_place(platform, matters, tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Device.objects.create(source=platform, code="X", name="无位置设备", matter=matters("S0005"), region=tree.grid_a)
