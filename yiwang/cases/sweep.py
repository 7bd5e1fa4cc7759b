"""Cases' deadline work, run by the sweep as cases' periodic jobs (`jobs.py`): reminders at the
warning time, overdue marks at the due time, and automatic escalation for matters that ask for it."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from . import notices, stages
from .lifecycle import IllegalTransition
from .models import Case, Level, Status
from .services import perform

log = logging.getLogger(__name__)
CLOCKED = [Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.SIGNED, Status.HANDLED, Status.VERIFIED]


def _running():
    return Case.objects.filter(status__in=CLOCKED, paused_at__isnull=True)


def remind_due(*, now: datetime) -> int:
    """Cases past their step's warning time and not yet reminded: whoever must act next is told, once per step."""
    due = _running().filter(step_warn_at__lte=now, step_due_at__gt=now, reminded_at__isnull=True)
    return sum(_remind(pk, now=now) for pk in due.values_list("pk", flat=True))


def mark_overdue(*, now: datetime) -> int:
    """Cases past their step's due time are marked overdue (with the points that go with it)."""
    due = _running().filter(step_due_at__lte=now, step_overdue=False)
    return sum(_try(pk, "mark_overdue", now=now) for pk in due.values_list("pk", flat=True))


def auto_escalate(*, now: datetime) -> int:
    """Overdue cases not signed or not handled go up a level when their matter says so."""
    overdue = _running().filter(step_overdue=True, status__in=[Status.DISPATCHED, Status.SIGNED]).exclude(level=Level.DEPARTMENT)
    return sum(_try(case.pk, "auto_escalate", now=now, note="超时未签收或未处置，按事项规定自动上报")
               for case in overdue.select_related("matter_version") if case.matter_version.snapshot.get("auto_escalate"))


def _try(pk: int, action: str, *, now: datetime, note: str = "") -> int:
    try:
        perform(pk, action, system=True, now=now, note=note)
        return 1
    except (IllegalTransition, ValidationError) as exc:  # someone acted on the case in between
        log.info("sweep: case %s %s skipped: %s", pk, action, exc)
        return 0


def _remind(pk: int, *, now: datetime) -> int:
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=pk, reminded_at__isnull=True, step_warn_at__lte=now).first()
        if case is None:
            return 0
        case.reminded_at = now
        case.save(update_fields=["reminded_at"])
        stages.note_warned(case, now=now)
        notices.announce_reminder(case)
    return 1
