"""Supervision orders (督办单): who may issue, the refusals, the answer/close/return steps with the
case's history, the overdue sweep that tells once, the API's 401/404/422, the unit's inbox and the
command screen's count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from yiwang.cases import services, supervision
from yiwang.cases.models import CaseEvent, Status, SupervisionOrder, SupervisionStatus
from yiwang.core.jobs import run_jobs
from yiwang.notify.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def street_case(users, report):
    """A street-level case in grid A, accepted by the street (handled by 云枫街道)."""
    case = report("06001").case
    services.do_accept_case(case, acting_user=users["street"])
    case.refresh_from_db()
    return case


@pytest.fixture
def grid_case(report):
    """A grid-level case in grid A (handled by the grid's workers)."""
    return report("S0001").case


def _issue(user, case=None, **extra):
    return supervision.issue_order(acting_user=user, case=case, grade=extra.pop("grade", "key"), text=extra.pop("text", "请三日内办结并答复"),
                                   limit=extra.pop("limit", "3d"), **extra)


# Who may issue ------------------------------------------------------------------------------------

def test_command_center_staff_at_or_above_the_unit_issue_with_a_working_time_deadline(users, street_case):
    order = _issue(users["district"], street_case)
    assert order.status == SupervisionStatus.OPEN and order.unit_region == street_case.handling_region
    assert order.unit_level == "street" and order.region == street_case.region
    assert order.due_at > order.warn_at > order.issued_at
    # A working-time deadline: three working days of office hours, from the calendar the cases use.
    from yiwang.worktime import calendar

    assert order.due_at == calendar.current().due(order.issued_at, "3d")[1]
    assert list(order.steps.values_list("action", "to_status")) == [("issue", "open")]
    event = CaseEvent.objects.get(case=street_case, action="supervision_issue")
    assert event.detail["order"] == order.pk and not event.public and event.to_status == event.from_status == street_case.status


def test_a_unit_above_the_issuer_or_outside_the_scope_or_a_grid_worker_is_refused(users, street_case, grid_case, make_user, tree):
    with pytest.raises(PermissionDenied, match="高于您的层级"):
        _issue(users["community"], street_case)
    with pytest.raises(PermissionDenied, match="指挥中心"):
        _issue(users["worker_a"], grid_case)
    other = make_user("other_street", "street", tree.other_street)
    with pytest.raises(PermissionDenied, match="数据范围"):
        _issue(other, street_case)
    # The community stands at its grid's level and above: it may supervise the grid's case.
    assert _issue(users["community"], grid_case).unit_level == "grid"
    assert not SupervisionOrder.objects.filter(case=street_case).exists()


def test_a_closed_case_is_refused_in_chinese(users, grid_case):
    grid_case.status = Status.CLOSED
    grid_case.save()
    with pytest.raises(ValidationError) as refused:
        _issue(users["street"], grid_case)
    assert "已结案，不能再督办" in refused.value.message_dict["case"][0]


def test_one_open_order_per_case(users, grid_case):
    first = _issue(users["street"], grid_case)
    with pytest.raises(ValidationError) as refused:
        _issue(users["district"], grid_case)
    assert "已有一张未办结的督办单" in refused.value.message_dict["case"][0]
    supervision.answer_order(first, acting_user=users["worker_a"], answer="已清理")
    supervision.close_order(first, acting_user=users["street"])
    assert _issue(users["district"], grid_case).status == SupervisionStatus.OPEN  # once closed, another may follow


def test_bad_input_names_its_field(users, grid_case):
    for field_name, extra in (("limit", {"limit": "-2d"}), ("limit", {"limit": "61d"}), ("grade", {"grade": "urgent"}), ("text", {"text": "  "})):
        with pytest.raises(ValidationError) as refused:
            _issue(users["street"], grid_case, **extra)
        assert field_name in refused.value.message_dict


def test_orders_on_units(users, tree, department):
    on_community = _issue(users["street"], unit_region=tree.community, text="加强夜间巡查")
    assert on_community.unit_level == "community" and on_community.case is None
    with pytest.raises(PermissionDenied, match="区指挥中心"):
        _issue(users["street"], unit_department=department)
    on_department = _issue(users["district"], unit_department=department)
    assert on_department.unit_level == "department" and on_department.region == tree.district
    with pytest.raises(PermissionDenied, match="数据范围"):
        _issue(users["community"], unit_region=tree.street)
    with pytest.raises(ValidationError) as refused:
        _issue(users["street"], unit_region=tree.micro_a1)
    assert "unit" in refused.value.message_dict


# Answer, close, return ----------------------------------------------------------------------------

def test_answer_return_answer_close_each_a_step_and_a_case_event(users, grid_case):
    order = _issue(users["street"], grid_case)
    with pytest.raises(PermissionDenied):
        supervision.answer_order(order, acting_user=users["worker_b"], answer="不是我的网格")
    with pytest.raises(supervision.SupervisionRefused, match="不能办结"):
        supervision.close_order(order, acting_user=users["street"])
    with pytest.raises(ValidationError) as refused:
        supervision.answer_order(order, acting_user=users["worker_a"], answer="")
    assert "answer" in refused.value.message_dict
    supervision.answer_order(order, acting_user=users["worker_a"], answer="已处理", action_taken="当日清运")
    with pytest.raises(PermissionDenied):
        supervision.close_order(order, acting_user=users["community"])  # not the command center that issued it
    with pytest.raises(ValidationError):
        supervision.return_order(order, acting_user=users["street"], reason="")
    supervision.return_order(order, acting_user=users["street"], reason="未附照片")
    supervision.answer_order(order, acting_user=users["worker_a"], answer="补充照片")
    order = supervision.close_order(order, acting_user=users["street"], note="同意")
    assert order.status == SupervisionStatus.CLOSED and order.closed_at and order.answered_at and order.returned_at
    assert list(order.steps.values_list("action", "to_status")) == [
        ("issue", "open"), ("answer", "answered"), ("return", "returned"), ("answer", "answered"), ("close", "closed")]
    assert list(CaseEvent.objects.filter(case=grid_case, action__startswith="supervision_").values_list("action", flat=True)) == [
        "supervision_issue", "supervision_answer", "supervision_return", "supervision_answer", "supervision_close"]


def test_notices_go_to_the_unit_then_the_issuer(users, grid_case):
    order = _issue(users["street"], grid_case)
    assert Notification.objects.filter(user=users["worker_a"], kind="supervision_issue", case=grid_case).exists()
    assert not Notification.objects.filter(user=users["worker_b"], kind="supervision_issue").exists()
    supervision.answer_order(order, acting_user=users["worker_a"], answer="已处理")
    assert Notification.objects.filter(user=users["street"], kind="supervision_answer").exists()
    # The unit's call to answer is answered.
    assert Notification.objects.get(user=users["worker_a"], kind="supervision_issue").read_at is not None


# The sweep -----------------------------------------------------------------------------------------

def test_an_overdue_order_is_flagged_and_told_once(users, grid_case):
    order = _issue(users["street"], grid_case, limit="1h")
    later = order.due_at + timedelta(minutes=1)
    assert supervision.flag_overdue(now=order.due_at - timedelta(minutes=1)) == 0
    result = run_jobs(now=later)
    assert result["cases.supervision_overdue"] == 1
    order.refresh_from_db()
    assert order.overdue_at == later and order.status == SupervisionStatus.OPEN
    told = set(Notification.objects.filter(kind="supervision_mark_overdue").values_list("user__username", flat=True))
    assert told == {"street", "worker_a"}
    assert supervision.flag_overdue(now=later + timedelta(hours=5)) == 0
    assert Notification.objects.filter(kind="supervision_mark_overdue").count() == 2
    assert CaseEvent.objects.filter(case=grid_case, action="supervision_mark_overdue").count() == 1
    assert supervision.orders_for(users["street"], state="overdue", now=later).get() == order


# API ------------------------------------------------------------------------------------------------

def test_api_create_list_answer_close(client, users, grid_case):
    client.force_login(users["street"])
    made = client.post("/api/supervision/orders", {"case": grid_case.number, "grade": "listed", "text": "挂牌督办", "limit": "2d"},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    order_id = made.json()["id"]
    assert made.json()["unit_region"] == grid_case.region.code and made.json()["steps"][0]["action"] == "issue"
    listed = client.get("/api/supervision/orders", {"status": "open"}).json()
    assert [item["id"] for item in listed["items"]] == [order_id]
    client.force_login(users["worker_a"])
    answered = client.post(f"/api/supervision/orders/{order_id}/answer", {"answer": "已处理"}, content_type="application/json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert client.post(f"/api/supervision/orders/{order_id}/close", {}, content_type="application/json").status_code == 403
    client.force_login(users["street"])
    closed = client.post(f"/api/supervision/orders/{order_id}/close", {}, content_type="application/json")
    assert closed.json()["status"] == "closed"
    again = client.post(f"/api/supervision/orders/{order_id}/return", {"reason": "再查"}, content_type="application/json")
    assert again.status_code == 409 and "已办结" in again.json()["detail"]


def test_api_refuses_anonymous_outsiders_and_bad_input(client, users, grid_case, report):
    assert client.post("/api/supervision/orders", {"case": grid_case.number, "text": "x", "limit": "1d"},
                       content_type="application/json").status_code == 401
    assert client.get("/api/supervision/orders").status_code == 401
    order = _issue(users["street"], grid_case)
    assert client.post(f"/api/supervision/orders/{order.pk}/answer", {"answer": "x"}, content_type="application/json").status_code == 401
    client.force_login(users["worker_b"])  # the neighbouring grid: the order is not there
    assert client.get(f"/api/supervision/orders/{order.pk}").status_code == 404
    assert client.post(f"/api/supervision/orders/{order.pk}/answer", {"answer": "x"}, content_type="application/json").status_code == 404
    client.force_login(users["district"])
    bad = client.post("/api/supervision/orders", {"unit_region": "999999", "text": "x", "limit": "1d"}, content_type="application/json")
    assert bad.status_code == 422 and "unit_region" in bad.json()["detail"]
    other = report("S0001", at=(108.315, 31.105)).case
    bad = client.post("/api/supervision/orders", {"case": other.number, "text": "x", "limit": "3 weeks"}, content_type="application/json")
    assert bad.status_code == 422 and "limit" in bad.json()["detail"]
    bad = client.post("/api/supervision/orders", {"case": grid_case.number, "text": "x", "limit": "1d"}, content_type="application/json")
    assert bad.status_code == 422 and "已有一张未办结的督办单" in bad.json()["detail"]["case"][0]
    bad = client.get("/api/supervision/orders", {"status": "pending"})
    assert bad.status_code == 422 and "status" in bad.json()["detail"]


# Pages ----------------------------------------------------------------------------------------------

def test_the_unit_sees_it_at_the_top_of_its_inbox_and_answers_on_the_case_page(client, users, grid_case):
    order = _issue(users["street"], grid_case)
    client.force_login(users["worker_a"])
    html = client.get(reverse("case-inbox")).content.decode()
    assert 'data-testid="inbox-supervision"' in html and f'data-order="{order.pk}"' in html and "重点督办" in html
    assert html.index('data-testid="inbox-supervision"') < html.index('data-testid="inbox-tabs"')
    page = client.get(reverse("case-detail", args=[grid_case.number])).content.decode()
    assert 'data-testid="case-supervision"' in page and 'data-testid="supervision-answer-form"' in page
    assert 'data-testid="supervision-issue-form"' not in page  # a grid worker does not issue
    client.post(reverse("supervision-step", args=[order.pk, "answer"]), {"answer": "已处理", "back": "case"})
    order.refresh_from_db()
    assert order.status == SupervisionStatus.ANSWERED
    client.force_login(users["worker_b"])
    assert 'data-testid="inbox-supervision"' not in client.get(reverse("case-inbox")).content.decode()
    # The issuer sees the answer to review in its own inbox, and closes it from the order's page.
    client.force_login(users["street"])
    assert 'data-testid="inbox-supervision-review"' in client.get(reverse("case-inbox")).content.decode()
    client.post(reverse("supervision-step", args=[order.pk, "close"]), {})
    order.refresh_from_db()
    assert order.status == SupervisionStatus.CLOSED


def test_the_case_page_form_issues_and_refuses_a_closed_case_with_a_message(client, users, grid_case):
    client.force_login(users["street"])
    page = client.get(reverse("case-detail", args=[grid_case.number])).content.decode()
    assert 'data-testid="supervision-issue-form"' in page
    response = client.post(reverse("case-supervise", args=[grid_case.number]),
                           {"grade": "general", "limit_amount": "2", "limit_unit": "d", "text": "请尽快处理"}, follow=True)
    assert SupervisionOrder.objects.filter(case=grid_case, grade="general").exists()
    assert "已发出督办" in response.content.decode()
    response = client.post(reverse("case-supervise", args=[grid_case.number]),
                           {"grade": "general", "limit_amount": "2", "limit_unit": "d", "text": "再次督办"}, follow=True)
    assert "督办未发出" in response.content.decode() and SupervisionOrder.objects.filter(case=grid_case).count() == 1


def test_the_list_filters_and_is_for_the_command_center(client, users, grid_case, tree):
    answered = _issue(users["street"], grid_case)
    supervision.answer_order(answered, acting_user=users["worker_a"], answer="已处理")
    waiting = _issue(users["street"], unit_region=tree.community, limit="1h", now=timezone.now() - timedelta(days=10))
    client.force_login(users["street"])
    def shown(**query):
        html = client.get(reverse("supervision-list"), query).content.decode()
        return {int(part.split('"')[0]) for part in html.split('data-testid="supervision-row" data-order="')[1:]}
    assert shown() == {answered.pk, waiting.pk}
    assert shown(status="answered") == {answered.pk}
    assert shown(status="overdue") == {waiting.pk}
    assert shown(status="closed") == set()
    client.force_login(users["worker_a"])
    assert client.get(reverse("supervision-list")).status_code == 403


def test_the_command_screen_counts_open_and_overdue_orders_as_its_list_does(client, users, grid_case, tree):
    _issue(users["street"], grid_case)
    _issue(users["street"], unit_region=tree.community, limit="1h", now=timezone.now() - timedelta(days=10))
    client.force_login(users["street"])
    response = client.get(reverse("command:index"))
    html = response.content.decode()
    assert 'data-testid="supervision-tile-open"' in html
    tile = response.context["supervision"]
    assert (tile["open"], tile["overdue"]) == (2, 1)
    for key in ("open", "overdue"):
        listed = client.get(tile[f"{key}_url"]).content.decode().count('data-testid="supervision-row"')
        assert listed == tile[key]

