"""Separation of duties and rules that must hold whatever the door (API, page, service): no one
verifies, closes or rates their own handling; staff only record a resident's rating on a callback;
dispatch and summons targets serve the case's area; a grid worker files only in their own grids."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, Channel, Level, Status

from .conftest import POINT_A, POINT_B


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def _self_handled(users, report):
    """The attack seen on the demo: the community dispatches a community-level case to itself, then
    signs and handles it with the same account."""
    intake = report("S0002")  # tier B: kept by the community
    case = intake.case
    community = users["community"]
    for action in ("accept", "dispatch"):
        services.perform(case, action, acting_user=community)
    assert case.level == Level.COMMUNITY
    services.do_sign_case(case, acting_user=community)  # handling its own unit's case is allowed
    services.do_handle_case(case, acting_user=community, note="已处理")
    assert case.status == Status.HANDLED
    return intake


@pytest.fixture
def other_community(tree):
    """A community with one grid under the other street, east of the first community."""
    from tests.conftest import rect
    from yiwang.regions.models import Level as RegionLevel
    from yiwang.regions.models import Region

    community = Region.objects.create(parent=tree.other_street, level=RegionLevel.COMMUNITY, code="500154001001", name="汉丰社区",
                                      boundary=rect(108.40, 31.10, 108.42, 31.11))
    grid = Region.objects.create(parent=community, level=RegionLevel.GRID, grid_kind="regular", code="500154001001001",
                                 name="汉丰社区第1网格", boundary=rect(108.40, 31.10, 108.42, 31.11))
    return community, grid


# Verify, close and rate one's own handling ---------------------------------------------------------

def test_the_handler_cannot_verify_their_own_handling_in_the_service(users, report):
    case = _self_handled(users, report).case
    with pytest.raises(PermissionDenied, match="处置人不能核查或结案自己处置的事件"):
        services.do_verify_case(case, acting_user=users["community"])
    case.refresh_from_db()
    assert case.status == Status.HANDLED and not case.events.filter(action="verify").exists()
    # Someone else verifies; the handler still cannot close.
    services.do_verify_case(case, acting_user=users["street"])
    with pytest.raises(PermissionDenied, match="处置人不能核查或结案"):
        services.do_close_case(case, acting_user=users["community"])
    services.do_close_case(case, acting_user=users["street"])
    # Nor rate it, not even as a "callback".
    with pytest.raises(PermissionDenied, match="参与处置的人员不能评价"):
        services.do_rate_case(case, rating="satisfied", acting_user=users["community"], callback=True, note="满意")
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == ""


def test_the_self_dispatch_run_is_refused_at_verify_through_the_api(client, users, report):
    case = report("S0002").case
    client.force_login(users["community"])
    for action, body in (("accept", {}), ("dispatch", {"region": "500154003001"}), ("sign", {}), ("handle", {"note": "已处理"})):
        response = _post(client, f"/api/cases/{case.number}/actions/{action}", body)
        assert response.status_code == 200, (action, response.content)
    response = _post(client, f"/api/cases/{case.number}/actions/verify", {})
    assert response.status_code == 403 and "处置人不能核查" in response.json()["detail"]
    case.refresh_from_db()
    assert case.status == Status.HANDLED and case.verified_at is None
    assert list(case.events.values_list("action", flat=True)) == ["report", "accept", "dispatch", "sign", "handle"]


def test_the_self_dispatch_run_is_refused_at_verify_on_the_page(client, users, report):
    case = report("S0002").case
    client.force_login(users["community"])
    client.post(reverse("case-act", args=[case.number, "accept"]))
    client.post(reverse("case-act", args=[case.number, "dispatch"]), {"target": f"region:{case.region.parent.pk}"})
    client.post(reverse("case-act", args=[case.number, "sign"]))
    client.post(reverse("case-act", args=[case.number, "handle"]), {"note": "已处理"})
    case.refresh_from_db()
    assert case.status == Status.HANDLED and case.handler == users["community"]
    # The page does not offer the step, and posting it anyway is refused in words.
    html = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert 'data-action="verify"' not in html
    html = client.post(reverse("case-act", args=[case.number, "verify"]), follow=True).content.decode()
    assert "“核查通过”未完成" in html and "处置人不能核查或结案自己处置的事件" in html
    case.refresh_from_db()
    assert case.status == Status.HANDLED and not case.events.filter(action="verify").exists()


def test_a_later_round_by_someone_else_may_be_verified_by_the_first_rounds_handler(users, report):
    """Separation is per round: who handled an earlier, reopened round may verify the new one."""
    intake = _self_handled(users, report)
    case = intake.case
    services.do_verify_case(case, acting_user=users["street"])
    services.do_close_case(case, acting_user=users["street"])
    services.do_rate_case(case, rating="unsatisfied", access_code=intake.access_code, note="没修好")
    services.do_dispatch_case(case, acting_user=users["street"], region=case.region)  # to the grid this time
    services.do_sign_case(case, acting_user=users["worker_a"])
    services.do_handle_case(case, acting_user=users["worker_a"], note="已修好")
    services.do_verify_case(case, acting_user=users["community"])
    assert case.status == Status.VERIFIED


# Ratings are the resident's ---------------------------------------------------------------------

def _closed(users, report, **extra):
    intake = report("S0001", **extra)
    case = intake.case
    for action, user, note in (("accept", "community", ""), ("dispatch", "community", ""), ("sign", "worker_a", ""),
                               ("handle", "worker_a", "已调解"), ("verify", "community", ""), ("close", "community", "")):
        services.perform(case, action, acting_user=users[user], note=note)
    return intake


@pytest.mark.parametrize("name", ["community", "street", "district"])
def test_staff_cannot_rate_on_their_own_account(users, report, name):
    case = _closed(users, report).case
    with pytest.raises(PermissionDenied, match="工作人员不能自行评价"):
        services.do_rate_case(case, rating="satisfied", acting_user=users[name])
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == ""


def test_a_staff_callback_must_write_down_the_residents_answer(users, report):
    case = _closed(users, report).case
    with pytest.raises(ValidationError, match="回访评价须记录反映人的答复"):
        services.do_rate_case(case, rating="satisfied", acting_user=users["street"], callback=True, note=" ")
    services.do_rate_case(case, rating="basic", acting_user=users["street"], callback=True, note="居民：基本解决，还有点吵")
    case.refresh_from_db()
    event = case.events.get(action="rate")
    assert case.rating == "basic" and event.detail["callback"] is True and event.detail["answer"] == "resident"
    assert event.actor_label.startswith("反映人（回访") and event.note == "居民：基本解决，还有点吵"


def test_a_staff_user_cannot_rate_through_the_api_or_the_page(client, users, report):
    case = _closed(users, report).case
    client.force_login(users["street"])
    response = _post(client, f"/api/cases/{case.number}/actions/rate", {"rating": "satisfied"})
    assert response.status_code == 403 and "工作人员不能自行评价" in response.json()["detail"]
    html = client.post(reverse("case-act", args=[case.number, "rate"]), {"rating": "satisfied", "note": "我觉得很好"}, follow=True).content.decode()
    assert "工作人员不能自行评价" in html
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == "" and not case.events.filter(action="rate").exists()
    # The page's rating form is a callback record, with the resident's answer.
    assert 'name="callback"' in client.get(reverse("case-detail", args=[case.number])).content.decode()
    client.post(reverse("case-act", args=[case.number, "rate"]), {"rating": "satisfied", "callback": "1", "note": "居民说满意"})
    case.refresh_from_db()
    assert case.rating == "satisfied" and case.events.get(action="rate").detail["callback"] is True


def test_a_grid_worker_who_reported_cannot_rate_but_the_resident_can(users, report, make_user, tree):
    reporter = make_user("worker_a2", "grid_worker", tree.grid_a)  # a second worker of grid A found it; worker_a handles it
    intake = _closed(users, report, channel=Channel.GRID_WORKER, user=reporter)
    case = intake.case
    with pytest.raises(PermissionDenied):
        services.do_rate_case(case, rating="satisfied", acting_user=reporter)
    # Staff holding the code are still staff: the code is the resident's.
    with pytest.raises(PermissionDenied):
        services.do_rate_case(case, rating="satisfied", acting_user=reporter, access_code=intake.access_code)
    services.do_rate_case(case, rating="satisfied", access_code=intake.access_code)
    assert case.status == Status.RATED


# Dispatch and summons targets ---------------------------------------------------------------------

@pytest.fixture
def far_department(tree):
    """A department of the other street, serving only it."""
    from yiwang.matters.models import Department

    dept = Department.objects.create(code="HF-SG", name="汉丰街道市政所", kind="urban_management", region=tree.other_street)
    dept.areas.add(tree.other_street)
    return dept


def test_dispatch_through_the_api_to_a_department_outside_the_case_area_is_refused(client, users, report, department, far_department):
    case = report("06001").case  # tier C: at the street
    client.force_login(users["district"])
    _post(client, f"/api/cases/{case.number}/actions/accept", {})
    response = _post(client, f"/api/cases/{case.number}/actions/dispatch", {"department": far_department.code})
    assert response.status_code == 422 and "department" in response.json()["detail"], response.content
    assert "服务区域不含" in response.json()["detail"]["department"][0]
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.handling_department is None and case.routings.count() == 1
    # An unknown code names the field too; the department serving the street is accepted.
    assert "department" in _post(client, f"/api/cases/{case.number}/actions/dispatch", {"department": "NOPE"}).json()["detail"]
    response = _post(client, f"/api/cases/{case.number}/actions/dispatch", {"department": department.code})
    assert response.status_code == 200 and response.json()["status"] == "dispatched"


def test_dispatch_to_a_unit_outside_the_dispatchers_scope_is_refused(client, users, report, tree):
    case = report("S0002").case
    client.force_login(users["community"])
    _post(client, f"/api/cases/{case.number}/actions/accept", {})
    # The street is above the case but not the community's to send work to (that is escalation).
    response = _post(client, f"/api/cases/{case.number}/actions/dispatch", {"region": tree.street.code})
    assert response.status_code == 422 and "region" in response.json()["detail"]
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.level == Level.COMMUNITY


def test_the_page_and_the_service_offer_the_same_departments(client, users, report, department, far_department):
    from yiwang.cases.selectors import dispatch_departments

    case = report("06001").case
    services.do_accept_case(case, acting_user=users["district"])
    assert list(dispatch_departments(case)) == [department]
    client.force_login(users["district"])
    html = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert f'value="dept:{department.pk}"' in html and f'value="dept:{far_department.pk}"' not in html
    with pytest.raises(ValidationError) as info:
        services.do_dispatch_case(case, acting_user=users["district"], department=far_department)
    assert "department" in info.value.message_dict


def test_summons_to_an_out_of_scope_user_or_department_is_refused(client, users, report, department, far_department, make_user, tree):
    outsider = make_user("worker_far", "grid_worker", tree.other_street)
    case = report("S0001").case
    services.do_accept_case(case, acting_user=users["community"])
    client.force_login(users["community"])
    response = _post(client, f"/api/cases/{case.number}/summons", {"reason": "联合处置", "parts": [{"member": "worker_far", "task": "到场"}]})
    assert response.status_code == 422 and "parts[1].member" in response.json()["detail"], response.content
    # An account that does not exist gets the same answer: nothing confirms who exists elsewhere.
    response = _post(client, f"/api/cases/{case.number}/summons", {"reason": "联合处置", "parts": [{"member": "nobody", "task": "到场"}]})
    assert response.status_code == 422 and "parts[1].member" in response.json()["detail"]
    response = _post(client, f"/api/cases/{case.number}/summons", {"reason": "联合处置", "parts": [{"department": far_department.code, "task": "到场"}]})
    assert response.status_code == 422 and "parts[1].department" in response.json()["detail"]
    with pytest.raises(ValidationError, match="只能召集"):
        services.do_summon(case, acting_user=users["community"], reason="联合处置", parts=[{"member": outsider, "task": "到场"}])
    assert not case.summonses.exists()
    # Inside the scope it works.
    response = _post(client, f"/api/cases/{case.number}/summons", {"reason": "联合处置", "parts": [{"member": "worker_b", "task": "到场"}]})
    assert response.status_code == 201


# Intake: channels per role and a grid worker's own area ----------------------------------------------

def test_a_grid_worker_cannot_file_by_coordinates_in_another_community(client, users, other_community):
    _, far_grid = other_community
    client.force_login(users["worker_a"])
    response = _post(client, "/api/cases", {"matter": "S0001", "lon": 108.41, "lat": 31.105, "channel": "grid_worker"})
    assert response.status_code == 422 and "lat" in response.json()["detail"], response.content
    assert "汉丰社区第1网格" in response.json()["detail"]["lat"][0]
    # Nor in the neighbouring grid of their own community, nor by naming a grid.
    assert _post(client, "/api/cases", {"matter": "S0001", "lon": POINT_B[0], "lat": POINT_B[1], "channel": "grid_worker"}).status_code == 422
    assert Case.objects.count() == 0
    assert _post(client, "/api/cases", {"matter": "S0001", "lon": POINT_A[0], "lat": POINT_A[1], "channel": "grid_worker"}).status_code == 201


def test_the_grid_worker_area_rule_holds_on_the_page_and_in_the_service(client, users, matters, other_community):
    client.force_login(users["worker_a"])
    response = client.post(reverse("case-report"), {"channel": "grid_worker", "matter": str(matters("S0001").pk), "description": "占道",
                                                    "lon": "108.41", "lat": "31.105", "urgency": "normal"})
    assert response.status_code == 400 and "不在您负责的网格内" in response.content.decode()
    with pytest.raises(ValidationError, match="不在您负责的网格内"):
        services.report_case(services.Report(channel=Channel.GRID_WORKER, matter=matters("S0001"), lon=POINT_B[0], lat=POINT_B[1]),
                             acting_user=users["worker_a"])
    with pytest.raises(ValidationError) as info:
        services.report_case(services.Report(channel=Channel.GRID_WORKER, matter=matters("S0001"), grid=other_community[1]),
                             acting_user=users["worker_a"])
    assert "grid" in info.value.message_dict
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


@pytest.mark.parametrize("name, channel", [("worker_a", Channel.HOTLINE), ("worker_a", Channel.DESK), ("street", Channel.GRID_WORKER),
                                           ("department", Channel.DESK), ("resident", Channel.DESK)])
def test_the_channel_per_role_rule_is_the_services(users, matters, name, channel):
    with pytest.raises(PermissionDenied, match="不能通过"):
        services.report_case(services.Report(channel=channel, matter=matters("S0001"), lon=POINT_A[0], lat=POINT_A[1]),
                             acting_user=users[name])
    assert Case.objects.count() == 0


def test_a_handler_cannot_approve_their_own_extension_nor_hold_their_own_case(users, report):
    """A street-level case handled by the street: the same account is also a supervisor and a
    coordinator, but may not lengthen or pause its own clock."""
    case = report("S0002").case
    street = users["street"]
    services.do_accept_case(case, acting_user=street)
    services.do_dispatch_case(case, acting_user=street, region=case.region.parent.parent)  # to the street itself
    services.do_sign_case(case, acting_user=street)
    services.do_request_extension(case, acting_user=street, amount="1d", reason="等配件")
    with pytest.raises(PermissionDenied, match="不能批准自己提出的延期申请"):
        services.do_decide_extension(case, acting_user=street, approve=True)
    assert case.extensions.get().status == "pending"
    services.do_decide_extension(case, acting_user=users["district"], approve=True)
    with pytest.raises(PermissionDenied, match="处置人不能对自己承办的事件挂账"):
        services.do_hold_case(case, acting_user=street, reason="等资金")
    case.refresh_from_db()
    assert case.status == Status.SIGNED and case.held_at is None
    services.do_hold_case(case, acting_user=users["district"], reason="等资金")
    assert case.status == Status.ON_HOLD
