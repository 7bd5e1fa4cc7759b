"""The deadline sweep: A/B hand-over when a leave begins, reminders at the warning time, overdue
marks at the due time, automatic escalation for matters that ask for it, and a notice to whoever
answers for a link that missed its cadence. Run by the background worker (cases.tasks)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .lifecycle import IllegalTransition
from .models import Case, Level, Status
from .services import perform

log = logging.getLogger(__name__)
CLOCKED = [Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.SIGNED, Status.HANDLED, Status.VERIFIED]


@dataclass
class SweepResult:
    reminded: int = 0
    overdue: int = 0
    escalated: int = 0
    resent: int = 0
    handed_over: int = 0
    links_reminded: int = 0
    ballots_closed: int = 0
    login_events_pruned: int = 0
    import_previews_pruned: int = 0


def sweep(*, now: datetime | None = None) -> SweepResult:
    from yiwang.ab_roles.services import hand_over_started_leaves
    from yiwang.accounts.services import prune_login_events
    from yiwang.imports.services import prune_previews
    from yiwang.links.services import remind_missed
    from yiwang.votes.services import close_due_ballots

    now = now or timezone.now()
    result = SweepResult()
    # First: a leave that began since the last sweep hands A's cases to B before reminders go out.
    result.handed_over = hand_over_started_leaves(now=now)
    running = Case.objects.filter(status__in=CLOCKED, paused_at__isnull=True)
    for pk in running.filter(step_warn_at__lte=now, step_due_at__gt=now, reminded_at__isnull=True).values_list("pk", flat=True):
        result.reminded += _remind(pk, now=now)
    for pk in running.filter(step_due_at__lte=now, step_overdue=False).values_list("pk", flat=True):
        result.overdue += _try(pk, "mark_overdue", now=now)
    overdue = running.filter(step_overdue=True, status__in=[Status.DISPATCHED, Status.SIGNED]).exclude(level=Level.DEPARTMENT)
    for case in overdue.select_related("matter_version"):
        if case.matter_version.snapshot.get("auto_escalate"):
            result.escalated += _try(case.pk, "auto_escalate", now=now, note="超时未签收或未处置,按事项规定自动上报")
    result.resent = _resend_webhooks(now=now)
    result.links_reminded = remind_missed(now=now)
    # Votes past their closing time are closed (and published when set) on the record.
    result.ballots_closed = close_due_ballots(now=now)
    # Login events past their retention (YIWANG_LOGIN_LOG_DAYS).
    result.login_events_pruned = prune_login_events(now=now)
    # Uploads previewed but never started (YIWANG_IMPORT_PREVIEW_HOURS).
    result.import_previews_pruned = prune_previews(now=now)
    return result


def _resend_webhooks(*, now: datetime, attempts: int = 5) -> int:
    """Robot messages that failed are tried again on later sweeps, for a day, at most `attempts` times."""
    from yiwang.notify.models import WebhookDelivery
    from yiwang.notify.services import send

    failed = WebhookDelivery.objects.filter(sent_at__isnull=True, attempts__lt=attempts, created_at__gte=now - timedelta(days=1))
    return sum(send(delivery) for delivery in failed.select_related("endpoint")[:100])


def _try(pk: int, action: str, *, now: datetime, note: str = "") -> int:
    try:
        perform(pk, action, system=True, now=now, note=note)
        return 1
    except (IllegalTransition, ValidationError) as exc:  # someone acted on the case in between
        log.info("sweep: case %s %s skipped: %s", pk, action, exc)
        return 0


def _remind(pk: int, *, now: datetime) -> int:
    from yiwang.notify.services import notify

    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=pk, reminded_at__isnull=True, step_warn_at__lte=now).first()
        if case is None:
            return 0
        case.reminded_at = now
        case.save(update_fields=["reminded_at"])
        transaction.on_commit(lambda: notify(case, "remind"))
    return 1
