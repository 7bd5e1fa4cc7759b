"""A/B roles: who acts while A is on leave, cases routed and handed to B on unchanged deadlines,
the role written on each case event, and the rules for desks and leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from yiwang.ab_roles import services
from yiwang.ab_roles.acting import who_acts
from yiwang.ab_roles.models import Desk, Leave
from yiwang.cases import services as case_services
from yiwang.cases.models import CaseEvent, DutyRole
from yiwang.core.jobs import run_jobs
from yiwang.notify.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers(department, make_user):
    """Two officers of the department: 张A is A of its desk, 李B is B."""
    a = make_user("officer_a", "department", department.region, first_name="张A")
    b = make_user("officer_b", "department", department.region, first_name="李B")
    department.members.add(a, b)
    return a, b


@pytest.fixture
def desk(department, officers, users):
    a, b = officers
    return services.save_desk(acting_user=users["district"], kind="unit", department=department, primary=a, backup=b)


def _leave(user, *, by, hours_from_now=-1, hours=48, reason="年休假"):
    now = timezone.now()
    return services.record_leave(acting_user=by, user=user, starts_at=now + timedelta(hours=hours_from_now),
                                 ends_at=now + timedelta(hours=hours_from_now + hours), reason=reason)


def _to_department(report, users):
    case = report("06001").case
    case_services.do_accept_case(case, acting_user=users["street"])
    case_services.do_dispatch_case(case, acting_user=users["street"])
    return case


def test_a_acts_until_on_leave_then_b(desk, officers, users):
    a, b = officers
    assert who_acts(desk).user == a and who_acts(desk).role == DutyRole.A
    leave = _leave(a, by=users["district"])
    acting = who_acts(desk)
    assert acting.user == b and acting.role == DutyRole.B
    assert "张A" in acting.reason and "李B" in acting.reason
    services.cancel_leave(leave, acting_user=a)
    assert who_acts(desk).user == a


def test_nobody_acts_when_a_and_b_are_both_away(desk, officers, users):
    a, b = officers
    _leave(a, by=users["district"])
    _leave(b, by=users["district"])
    acting = who_acts(desk)
    assert acting.user is None and acting.role == "" and "B角也不在岗" in acting.reason


def test_a_future_leave_does_not_count_yet(desk, officers, users):
    a, _ = officers
    _leave(a, by=users["district"], hours_from_now=24)
    assert who_acts(desk).user == a


def test_case_dispatched_while_a_is_away_goes_to_b_and_says_why(desk, officers, users, report):
    a, b = officers
    _leave(a, by=users["district"])
    case = _to_department(report, users)
    assert case.assignee == b and case.assignee_role == DutyRole.B
    reasons = case.routings.order_by("-at", "-id").first().reasons
    assert any("李B" in reason and "请假" in reason for reason in reasons), reasons
    # The dispatch notice reaches B, not A.
    notified = set(Notification.objects.filter(case=case, kind="dispatch").values_list("user__username", flat=True))
    assert notified == {"officer_b"}


def test_b_acting_is_written_on_the_case_history(desk, officers, users, report):
    a, b = officers
    _leave(a, by=users["district"])
    case = _to_department(report, users)
    case_services.do_sign_case(case, acting_user=b)
    signed = CaseEvent.objects.get(case=case, action="sign")
    assert signed.actor == b and signed.actor_role == DutyRole.B
    # Someone of the unit who holds neither role acts without one.
    case_services.do_handle_case(case, acting_user=users["department"], note="已拆除")
    assert CaseEvent.objects.get(case=case, action="handle").actor_role == ""


def test_leave_hands_open_cases_to_b_without_moving_deadlines(desk, officers, users, report):
    a, b = officers
    case = _to_department(report, users)
    assert case.assignee == a and case.assignee_role == DutyRole.A
    due, warn, close_due = case.step_due_at, case.step_warn_at, case.close_due_at
    a_unread = Notification.objects.filter(case=case, user=a, read_at__isnull=True)
    assert a_unread.filter(kind="dispatch").exists()  # A was told to sign it
    _leave(a, by=users["district"])
    case.refresh_from_db()
    assert case.assignee == b and case.assignee_role == DutyRole.B
    assert (case.step_due_at, case.step_warn_at, case.close_due_at) == (due, warn, close_due)
    handover = CaseEvent.objects.get(case=case, action="handover")
    assert not handover.public and "李B" in handover.note and handover.from_status == handover.to_status == case.status
    assert Notification.objects.filter(case=case, kind="handover", user=b).exists()
    # The case is B's now: A's inbox no longer calls A back to it.
    assert not a_unread.exists()


def test_sweep_hands_over_when_a_future_leave_begins(desk, officers, users, report):
    a, b = officers
    case = _to_department(report, users)
    leave = _leave(a, by=users["district"], hours_from_now=2)
    assert run_jobs()["cases.handover"] == 0
    case.refresh_from_db()
    assert case.assignee == a
    result = run_jobs(now=timezone.now() + timedelta(hours=3))
    case.refresh_from_db()
    leave.refresh_from_db()
    assert result["cases.handover"] == 1 and case.assignee == b and leave.handed_over_at is not None
    # Once only.
    assert run_jobs(now=timezone.now() + timedelta(hours=4))["cases.handover"] == 0


def test_a_case_returned_to_the_street_goes_to_the_board_desk(tree, department, officers, users, make_user, report):
    deputy_a = make_user("deputy_a", "street", tree.street)
    deputy_b = make_user("deputy_b", "street", tree.street)
    case = report("06001").case
    services.save_desk(acting_user=users["street"], kind="board", region=tree.street, board=case.board, primary=deputy_a, backup=deputy_b)
    case_services.do_accept_case(case, acting_user=users["street"])
    case_services.do_dispatch_case(case, acting_user=users["street"])
    case_services.do_return_case(case, acting_user=users["department"], reason="不属于本部门")
    assert case.level == "street" and case.assignee == deputy_a and case.assignee_role == DutyRole.A


def test_intake_puts_the_case_on_the_desk_of_its_unit(tree, users, report, make_user):
    services.save_desk(acting_user=users["community"], kind="unit", region=tree.grid_a, primary=users["worker_a"])
    case = report("S0001").case
    assert case.level == "grid" and case.assignee == users["worker_a"] and case.assignee_role == DutyRole.A


def test_desk_people_must_be_able_to_do_its_work(tree, department, officers, users):
    a, _ = officers
    with pytest.raises(ValidationError) as error:
        services.save_desk(acting_user=users["district"], kind="unit", department=department, primary=users["street"])
    assert "primary" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_desk(acting_user=users["district"], kind="unit", department=department, primary=a, backup=a)
    assert "backup" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_desk(acting_user=users["community"], kind="unit", region=tree.grid_a, primary=users["worker_b"])
    assert "primary" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.save_desk(acting_user=users["worker_a"], kind="unit", region=tree.grid_a, primary=users["worker_a"])
    assert not Desk.objects.exists()


def test_leave_rules(officers, users):
    a, b = officers
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.record_leave(acting_user=a, user=a, starts_at=now, ends_at=now - timedelta(hours=1), reason="x")
    assert "ends_at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.record_leave(acting_user=a, user=a, starts_at=now, ends_at=now + timedelta(hours=1), reason=" ")
    assert "reason" in error.value.message_dict
    first = services.record_leave(acting_user=a, user=a, starts_at=now, ends_at=now + timedelta(days=2), reason="病假")
    with pytest.raises(ValidationError) as error:
        services.record_leave(acting_user=a, user=a, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=3), reason="事假")
    assert "重叠" in error.value.message_dict["starts_at"][0]
    # A colleague may not record someone else's leave; a coordinator over them may.
    with pytest.raises(PermissionDenied):
        services.record_leave(acting_user=b, user=users["worker_a"], starts_at=now, ends_at=now + timedelta(days=1), reason="x")
    with pytest.raises(PermissionDenied):
        services.record_leave(acting_user=users["worker_a"], user=users["worker_b"], starts_at=now, ends_at=now + timedelta(days=1), reason="x")
    services.record_leave(acting_user=users["community"], user=users["worker_b"], starts_at=now, ends_at=now + timedelta(days=1), reason="培训")
    assert list(Leave.objects.filter(user=a)) == [first]


def test_api_records_a_leave_and_lists_my_duties(client, desk, officers, users):
    a, b = officers
    client.force_login(b)
    mine = client.get("/api/ab/mine").json()
    assert [(row["mine"], row["acting"]) for row in mine] == [("B", "张A")]
    client.force_login(a)
    now = timezone.now()
    response = client.post("/api/ab/leaves", {"starts_at": (now - timedelta(minutes=5)).isoformat(),
                                              "ends_at": (now + timedelta(days=1)).isoformat(), "reason": "年休假"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    client.force_login(b)
    mine = client.get("/api/ab/mine").json()
    assert [(row["mine"], row["acting"], row["acting_role"]) for row in mine] == [("B", "李B", "B")]
    bad = client.post("/api/ab/leaves", {"starts_at": now.isoformat(), "ends_at": now.isoformat(), "reason": "x"},
                      content_type="application/json")
    assert bad.status_code == 422 and "ends_at" in bad.json()["detail"]


def test_page_records_a_leave_and_shows_who_acts(client, desk, officers, users):
    a, b = officers
    client.force_login(users["district"])
    now = timezone.localtime()
    response = client.post("/ab/", {"user": a.pk, "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                                     "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "reason": "外出学习"})
    assert response.status_code == 302
    page = client.get("/ab/").content.decode()
    assert "外出学习" in page and "李B" in page and "请假中" in page
    bad = client.post("/ab/", {"user": a.pk, "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
                                "ends_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "reason": "x"})
    assert bad.status_code == 200 and "请假结束时间须晚于开始时间" in bad.content.decode()


def test_a_case_a_had_signed_goes_to_b_and_b_is_told(desk, officers, users, report):
    a, b = officers
    case = _to_department(report, users)
    case_services.do_sign_case(case, acting_user=a)
    _leave(a, by=a)
    case.refresh_from_db()
    assert (case.assignee, case.assignee_role, case.handler) == (b, DutyRole.B, None)
    assert set(Notification.objects.filter(case=case, kind="handover").values_list("user__username", flat=True)) == {"officer_b"}
    handover = CaseEvent.objects.get(case=case, action="handover")
    assert handover.actor == a and handover.actor_label and handover.actor_role == ""
    case_services.do_handle_case(case, acting_user=b, note="已处置")
    assert CaseEvent.objects.get(case=case, action="handle").actor_role == DutyRole.B


def test_when_b_also_leaves_the_case_goes_back_to_the_whole_unit(desk, officers, users, report):
    a, b = officers
    _leave(a, by=users["district"])
    case = _to_department(report, users)
    assert case.assignee == b
    _leave(b, by=users["district"])
    case.refresh_from_db()
    assert case.assignee is None and case.assignee_role == ""
    assert "B角也不在岗" in case.events.filter(action="handover").latest("id").note
    case_services.do_supervise_case(case, acting_user=users["street"], note="请尽快处置", urge=True)
    told = set(Notification.objects.filter(case=case, kind="urge").values_list("user__username", flat=True))
    assert told == {"department", "officer_a", "officer_b"}


def test_a_deactivated_a_is_passed_over(desk, officers, users, report):
    a, b = officers
    a.is_active = False
    a.save()
    acting = who_acts(desk)
    assert acting.user == b and "已停用" in acting.reason
    case = _to_department(report, users)
    assert case.assignee == b


def test_the_role_is_the_one_held_where_the_case_was(desk, officers, users, report):
    a, _ = officers
    case = _to_department(report, users)
    case_services.do_return_case(case, acting_user=a, reason="不属于本部门")
    returned = CaseEvent.objects.get(case=case, action="return")
    assert returned.actor == a and returned.actor_role == DutyRole.A


def test_desks_api_asks_for_leaves_once_per_page(client, tree, users, make_user, django_assert_max_num_queries):
    from yiwang.regions.models import Region

    grids = [Region.objects.create(parent=tree.community, level="grid", code=f"500154003001{n:03d}", name=f"网格{n}") for n in range(3, 13)]
    for grid in grids:
        worker = make_user(f"w{grid.code}", "grid_worker", grid)
        services.save_desk(acting_user=users["community"], kind="unit", region=grid, primary=worker)
    client.force_login(users["street"])
    with django_assert_max_num_queries(8):
        body = client.get("/api/ab/desks").json()
    assert body["count"] == 10 and {row["acting_role"] for row in body["items"]} == {"A"}


def test_page_shows_a_desk_without_b(client, tree, users):
    services.save_desk(acting_user=users["community"], kind="unit", region=tree.grid_a, primary=users["worker_a"])
    services.save_desk(acting_user=users["community"], kind="unit", region=tree.grid_b)
    client.force_login(users["community"])
    response = client.get("/ab/")
    assert response.status_code == 200
    row = response.content.decode().split('data-desk="')[1]
    assert "worker_a" in row and "—" in row
