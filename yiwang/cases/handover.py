"""A/B hand-over of cases: when A's leave begins, A's open cases go to whoever acts now (B, or the
unit), each with a "handover" event and its notice. The step clock, due times and warnings are left
as they are: a leave never buys time.

It runs when a leave is recorded that has already begun (`ab_roles.signals.leave_started`, received
in `apps.py`) and, for leaves that begin later, as cases' first periodic job (`jobs.py`), before
the reminders go out.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from yiwang.ab_roles.acting import display_name
from yiwang.ab_roles.models import Leave
from yiwang.core.audit import account

from . import notices
from .desks import assign
from .models import OPEN_STATUSES, Case, CaseEvent


def cases_to_hand_over(leave: Leave):
    """Open cases put on the person on leave (as A, or as B while their A was away)."""
    return Case.objects.filter(assignee_id=leave.user_id, status__in=OPEN_STATUSES)


def hand_over(leave: Leave, *, acting_user=None, now: datetime | None = None) -> int:
    """Move the open cases of the person on leave, where they are A, to whoever acts now (B).
    Returns the cases moved; a leave is handed over once (cancelled ones never)."""
    now = now or timezone.now()
    actor = account(acting_user)
    moved = 0
    with transaction.atomic():
        leave = Leave.objects.select_for_update().select_related("user").get(pk=leave.pk)
        if leave.handed_over_at is not None or leave.cancelled_at is not None:
            return 0
        for pk in cases_to_hand_over(leave).values_list("pk", flat=True):
            case = Case.objects.select_for_update().get(pk=pk)
            if case.assignee_id != leave.user_id:
                continue  # moved meanwhile
            reason = assign(case, at=now)
            if case.assignee_id == leave.user_id:
                continue  # the desk still names them (no desk any more, or no one else): nothing to hand over
            if case.handler_id == leave.user_id:
                case.handler = None  # they had signed it: whoever acts now signs and handles it
            case.save(update_fields=["assignee", "assignee_role", "handler"])
            event = CaseEvent.objects.create(
                case=case, at=now, actor=actor, actor_label=("系统" if acting_user is None else display_name(actor))[:100],
                actor_role="", action="handover", from_status=case.status, to_status=case.status,
                note=reason or "承办人请假，由单位统一承办", public=False,
                detail={"from": leave.user.username, "to": case.assignee.username if case.assignee else "", "role": case.assignee_role})
            notices.settle_handed_over(case, user_id=leave.user_id, now=now)
            notices.announce(event)
            moved += 1
        leave.handed_over_at = now
        leave.save(update_fields=["handed_over_at"])
    return moved


def hand_over_started_leaves(*, now: datetime | None = None) -> int:
    """For the sweep: leaves that have begun and whose work has not been handed over yet."""
    now = now or timezone.now()
    started = Leave.objects.filter(handed_over_at__isnull=True, cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
    return sum(hand_over(leave, now=now) for leave in started)

