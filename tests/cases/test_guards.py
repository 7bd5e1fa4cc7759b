"""Guards found in review: scope of case-linked rows, internal notes, photos for solving on the spot,
no rating of one's own work, pending extensions, reminders to whoever must act."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yiwang.cases import services
from yiwang.cases.models import CaseEvent, CasePhoto, Channel
from yiwang.cases.selectors import inbox
from yiwang.core.jobs import run_jobs
from yiwang.notify.models import Notification

from .conftest import POINT_A


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_department_staff_see_only_their_cases_rows(client, users, report, png, department):
    mine = report("06001", photos=[png()]).case  # tier C: will be dispatched to the department
    other = report("S0001", photos=[png()]).case  # stays with the community
    services.do_accept_case(mine, acting_user=users["street"])
    services.do_dispatch_case(mine, acting_user=users["street"])
    dept = users["department"]
    assert set(CaseEvent.objects.restrict(dept).values_list("case", flat=True)) == {mine.pk}
    client.force_login(dept)
    assert client.get(f"/photos/{mine.photos.get().pk}/").status_code == 200
    assert client.get(f"/photos/{other.photos.get().pk}/").status_code == 404
    assert CasePhoto.objects.restrict(users["worker_b"]).count() == 0


def test_duplicates_endpoint_keeps_to_the_callers_scope(client, users, report):
    near_b = report("S0001", at=(108.3101, 31.105)).case  # grid B, a few metres over the line
    mine = report("S0001", at=(108.3099, 31.105)).case  # grid A
    client.force_login(users["worker_a"])
    assert client.get(f"/api/cases/{mine.number}/duplicates").json() == []
    client.force_login(users["community"])
    assert [c["number"] for c in client.get(f"/api/cases/{mine.number}/duplicates").json()] == [near_b.number]


def test_supervision_notes_through_the_api_are_internal_by_default(client, users, report):
    case = report("S0001").case
    client.force_login(users["street"])
    assert _post(client, f"/api/cases/{case.number}/actions/supervise", {"note": "限期办结"}).status_code == 200
    assert case.events.get(action="supervise").public is False


def test_solving_on_the_spot_needs_both_photos_whatever_the_door(client, users, report):
    case = report("06036", channel=Channel.GRID_WORKER, user=users["worker_a"]).case
    client.force_login(users["worker_a"])
    response = _post(client, f"/api/cases/{case.number}/actions/solve_on_spot", {"note": "已清理"})
    assert response.status_code == 422 and "photos" in response.json()["detail"]
    case.refresh_from_db()
    assert case.status == "reported" and not case.point_entries.filter(event="solved_on_spot").exists()


def test_a_worker_cannot_rate_their_own_work(users, report):
    case = report("S0001", channel=Channel.GRID_WORKER, user=users["worker_a"]).case
    for action, user in (("accept", "community"), ("dispatch", "community"), ("sign", "worker_a")):
        services.perform(case, action, acting_user=users[user])
    services.do_handle_case(case, acting_user=users["worker_a"], note="done")
    services.do_verify_case(case, acting_user=users["community"])
    services.do_close_case(case, acting_user=users["community"])
    with pytest.raises(PermissionDenied):
        services.do_rate_case(case, rating="satisfied", acting_user=users["worker_a"])
    # The follow-up call: the community records the resident's answer (a callback, with the answer).
    services.do_rate_case(case, rating="satisfied", acting_user=users["community"], callback=True, note="居民说已经修好了")


def test_handling_while_an_extension_waits_voids_it_and_keeps_the_paused_time(users, report):
    case = report("S0001").case
    for action, user in (("accept", "community"), ("dispatch", "community"), ("sign", "worker_a")):
        services.perform(case, action, acting_user=users[user])
    services.do_request_extension(case, acting_user=users["worker_a"], amount="1d", reason="等物业")
    assert case.pk in inbox(users["community"]).values_list("pk", flat=True)  # a decision is waiting
    close_due = case.close_due_at
    services.perform(case, "handle", acting_user=users["worker_a"], note="已处理", now=case.paused_at + timedelta(days=1))
    case.refresh_from_db()
    assert case.extensions.get().status == "refused" and case.close_due_at > close_due and case.paused_at is None


def test_reminders_go_to_whoever_must_act_next(users, report, django_capture_on_commit_callbacks):
    case = report("S0001").case  # reported: the community must accept it
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs(now=case.step_warn_at + timedelta(seconds=1))
    assert set(Notification.objects.filter(kind="remind").values_list("user__username", flat=True)) == {"community", "street", "district"}


def test_limits_and_check_in_hours_have_bounds(users, report, department):
    case = report("S0001").case
    for action, user in (("accept", "community"), ("dispatch", "community"), ("sign", "worker_a")):
        services.perform(case, action, acting_user=users[user])
    with pytest.raises(ValidationError, match="at most"):
        services.do_request_extension(case, acting_user=users["worker_a"], amount="99999999d", reason="x")
    with pytest.raises(ValidationError, match="checkin_hours"):
        services.do_summon(case, acting_user=users["street"], reason="r", parts=[{"department": department, "task": "t", "checkin_hours": -3}])


@pytest.mark.rollups_unchecked  # moves the first case's time and status with update()
def test_a_device_that_keeps_alarming_keeps_one_case(users, report, tree, matters):
    from django.utils import timezone

    from yiwang.cases import iot
    from yiwang.cases.models import Device, DeviceAlert, DeviceSource

    source = DeviceSource(name="p")
    source.set_secret("s")
    source.save()
    Device.objects.create(source=source, code="D1", name="烟感", matter=matters("S0005"), region=tree.grid_a, lon=POINT_A[0], lat=POINT_A[1],
                                   merge_window_minutes=60)
    first, opened = iot.receive(source, {"device": "D1", "kind": "smoke"})
    type(first.case).objects.filter(pk=first.case.pk).update(reported_at=timezone.now() - timedelta(hours=3))
    DeviceAlert.objects.filter(pk=first.pk).update(received_at=timezone.now() - timedelta(minutes=30),
                                                   raised_at=timezone.now() - timedelta(minutes=30))
    second, opened_again = iot.receive(source, {"device": "D1", "kind": "smoke"})
    assert opened and not opened_again and second.case == first.case
    # A signed alert with answers that are not an object is a clear 4xx, not a crash.
    type(first.case).objects.filter(pk=first.case.pk).update(status="closed")
    with pytest.raises(ValidationError, match="attributes"):
        iot.receive(source, {"device": "D1", "kind": "smoke", "attributes": ["x"]})
