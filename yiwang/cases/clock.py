"""Case deadlines: which step's clock runs, when it warns and falls due, and pausing.

The arithmetic is in yiwang.worktime.sla (pure); this module applies it to a case's fields.
"""

from __future__ import annotations

from datetime import datetime

from yiwang.matters.models import STEPS
from yiwang.worktime.sla import Limit, WorkCalendar

from .lifecycle import STEP_OF
from .models import Case, Urgency
from .stages import rule_for

# Urgent cases run on a fraction of the matter's limits.
URGENCY_FACTOR = {Urgency.NORMAL: 1.0, Urgency.URGENT: 0.5, Urgency.CRITICAL: 0.25}


def step_seconds(case: Case, step: str, calendar: WorkCalendar) -> float:
    limit = Limit.parse(case.matter_version.limits[step])
    return calendar.limit_seconds(limit) * URGENCY_FACTOR[case.urgency]


def start_step(case: Case, *, now: datetime, calendar: WorkCalendar) -> None:
    """Start the clock of the step the case's status calls for (or stop it)."""
    case.step = STEP_OF.get(case.status, "")
    case.step_overdue = False
    case.reminded_at = None
    case.paused_at = None
    if not case.step:
        case.step_started_at = case.step_warn_at = case.step_due_at = None
        return
    # The stage's limit and thresholds are data (stages.py): the version in force when the stage starts.
    rule = rule_for(case, case.step, at=now)
    seconds = calendar.limit_seconds(Limit.parse(rule.limit)) * URGENCY_FACTOR[case.urgency]
    case.step_started_at = now
    case.step_warn_at = calendar.add_working_seconds(now, seconds * rule.yellow_percent / 100)
    case.step_due_at = calendar.add_working_seconds(now, seconds * rule.red_percent / 100)
    case._stage_rule = rule  # kept on the stage's timing row once the case is saved (stages.follow)
    _note_fallback(case, now, case.step_due_at, calendar)


def set_close_due(case: Case, *, start: datetime, calendar: WorkCalendar, from_step: str = "accept") -> None:
    """The whole case is due when every step from `from_step` on has used its limit."""
    remaining = STEPS[STEPS.index(from_step):]
    seconds = sum(step_seconds(case, step, calendar) for step in remaining)
    case.close_due_at = calendar.add_working_seconds(start, seconds)
    _note_fallback(case, start, case.close_due_at, calendar)


def pause(case: Case, *, now: datetime) -> None:
    if case.paused_at is None and case.step_due_at is not None:
        case.paused_at = now


def resume(case: Case, *, now: datetime, calendar: WorkCalendar, extra_seconds: float = 0.0) -> float:
    """Restart a paused clock: the step and the whole case are due later by the working time spent
    paused, plus `extra_seconds` (an approved extension). Returns the working seconds added."""
    added = extra_seconds
    if case.paused_at is not None:
        added += calendar.working_seconds_between(case.paused_at, now)
        case.paused_at = None
    if added > 0:
        for field in ("step_warn_at", "step_due_at", "close_due_at"):
            value = getattr(case, field)
            if value is not None:
                setattr(case, field, calendar.add_working_seconds(value, added))
        if case.step_due_at is not None and case.step_due_at > now:
            case.step_overdue = False
    return added


def _note_fallback(case: Case, start: datetime, end: datetime, calendar: WorkCalendar) -> None:
    from django.conf import settings
    from django.utils import translation

    from yiwang.worktime.selectors import provisional_note

    # Stored with the case, so in the site's language rather than the requester's.
    with translation.override(settings.LANGUAGE_CODE):
        case.deadline_note = provisional_note(calendar.fallback_years(start, end))


RETIMED_FIELDS = ("step_warn_at", "step_due_at", "close_due_at")


def retime_open_cases(*, old: WorkCalendar, new: WorkCalendar, changed_from: datetime, now: datetime) -> int:
    """After the calendar changed from `changed_from` on (a notice entered for a provisional year), open
    cases keep the working time they had left: each warning and due moment still ahead is moved so that
    the working seconds from now to it are the same under the new calendar. Returns the cases moved."""
    from django.db.models import Q

    from .models import OPEN_STATUSES

    ahead = Q(step_warn_at__gt=changed_from) | Q(step_due_at__gt=changed_from) | Q(close_due_at__gt=changed_from)
    moved = 0
    for case in Case.objects.filter(ahead, status__in=OPEN_STATUSES).order_by("pk").iterator(chunk_size=500):
        changed = []
        for field in RETIMED_FIELDS:
            moment = getattr(case, field)
            if moment is None or moment <= now:
                continue
            retimed = new.add_working_seconds(now, old.working_seconds_between(now, moment))
            if retimed != moment:
                setattr(case, field, retimed)
                changed.append(field)
        last = max((m for m in (case.step_due_at, case.close_due_at) if m is not None), default=None)
        if last is not None and last > now:
            note = _renoted(case, now, last, new)
            if note != case.deadline_note:
                case.deadline_note = note
                changed.append("deadline_note")
        if changed:
            case.save(update_fields=changed)  # through Case.save, so the open-case rollups follow the due days
            moved += 1
    return moved


# Sentences of a stored note that said the calendar was provisional (this one, and the weekday-only one before it).
_PROVISIONAL_MARKS = ("截止时间按暂定日历计算", "节假日未录入")


def _renoted(case: Case, start: datetime, end: datetime, calendar: WorkCalendar) -> str:
    """The case's note with its provisional-calendar sentence brought up to date; other sentences (an
    import's) are kept."""
    kept = [part for part in case.deadline_note.split("；") if part and not any(mark in part for mark in _PROVISIONAL_MARKS)]
    probe = Case(deadline_note="")
    _note_fallback(probe, start, end, calendar)
    return "；".join(kept + ([probe.deadline_note] if probe.deadline_note else []))[:200]
