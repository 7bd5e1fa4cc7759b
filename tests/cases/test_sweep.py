"""The deadline sweep: reminders, overdue marks with points, automatic escalation, pauses."""

from __future__ import annotations

from datetime import timedelta

from yiwang.cases import services
from yiwang.cases.models import Level, Status
from yiwang.core.jobs import run_jobs
from yiwang.notify.models import Notification
from yiwang.points.models import PointEntry


def _to_signed(case, users, worker="worker_a"):
    services.do_accept_case(case, acting_user=users["community"])
    services.do_dispatch_case(case, acting_user=users["community"])
    services.do_sign_case(case, acting_user=users[worker])
    return case


def test_warning_then_overdue_then_automatic_escalation(users, report, django_capture_on_commit_callbacks):
    case = _to_signed(report("S0004", attributes={"location_kind": "corridor"}).case, users)  # e-bike charging: auto-escalates
    assert case.step == "handle"
    with django_capture_on_commit_callbacks(execute=True):
        assert run_jobs(now=case.step_warn_at + timedelta(seconds=1))["cases.reminders"] == 1
    assert Notification.objects.filter(user=users["worker_a"], kind="remind", case=case).exists()
    assert run_jobs(now=case.step_warn_at + timedelta(seconds=2))["cases.reminders"] == 0  # once per step

    with django_capture_on_commit_callbacks(execute=True):
        result = run_jobs(now=case.step_due_at + timedelta(seconds=1))
    assert result["cases.overdue"] == 1 and result["cases.auto_escalation"] == 1
    case.refresh_from_db()
    assert case.ever_overdue and case.status == Status.ACCEPTED and case.level == Level.COMMUNITY and case.escalation_count == 1
    assert PointEntry.objects.get(case=case, event="overdue").points < 0
    assert list(case.events.values_list("action", flat=True))[-2:] == ["mark_overdue", "auto_escalate"]
    assert "自动上报" in case.routings.order_by("-id").first().reasons[0]


def test_matter_without_auto_escalation_is_only_marked(users, report):
    case = _to_signed(report("S0001").case, users)  # disputes: no automatic escalation
    result = run_jobs(now=case.step_due_at + timedelta(seconds=1))
    case.refresh_from_db()
    assert result["cases.overdue"] == 1 and result["cases.auto_escalation"] == 0 and case.status == Status.SIGNED and case.step_overdue


def test_clock_pauses_while_an_extension_is_pending(users, report):
    case = _to_signed(report("S0001").case, users)
    due = case.step_due_at
    services.do_request_extension(case, acting_user=users["worker_a"], amount="1d", reason="需协调物业")
    assert case.paused_at is not None
    assert run_jobs(now=due + timedelta(days=3))["cases.overdue"] == 0  # paused: not overdue
    services.perform(case, "approve_extension", acting_user=users["community"], now=case.paused_at + timedelta(hours=2))
    case.refresh_from_db()
    assert case.paused_at is None and case.extension_count == 1 and case.step_due_at > due
    assert case.extensions.get().status == "approved"


def test_hold_stops_the_clock_until_released(users, report):
    case = _to_signed(report("S0001").case, users)
    services.do_hold_case(case, acting_user=users["street"], reason="待拆迁安置")
    assert case.status == Status.ON_HOLD and case.paused_at is not None
    assert run_jobs(now=case.step_due_at + timedelta(days=30))["cases.overdue"] == 0
    due = case.step_due_at
    services.perform(case, "release", acting_user=users["street"], now=case.paused_at + timedelta(days=7))
    case.refresh_from_db()
    assert case.status == Status.SIGNED and case.step_due_at > due and case.paused_at is None
