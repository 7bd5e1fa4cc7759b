"""Who acts for a duty right now: A, or B while A is on leave (the one place for that rule).

A duty is any model mixing in `ABRoles`: a desk (board or handling unit), a duty list item, a
link to a grid. Work routed to a duty goes to whoever acts when it arrives (cases: `cases.desks`);
when A's leave begins, A's open cases move to B (`cases.handover`, on `signals.leave_started` or by
its sweep job). Neither touches a deadline: the clock belongs to the case, not to the person, so a
leave never buys time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import ABRoles, DutyRole, Leave


def display_name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


@dataclass(frozen=True)
class Acting:
    user: object | None
    role: str  # DutyRole value, or "" when nobody is set or both are away
    reason: str


def leaves_at(user_ids, at: datetime) -> dict[int, Leave]:
    """The leave each of these users is on at `at` (cancelled leaves do not count)."""
    ids = [pk for pk in user_ids if pk]
    if not ids:
        return {}
    rows = Leave.objects.filter(user_id__in=ids, starts_at__lte=at, ends_at__gt=at, cancelled_at__isnull=True).order_by("ends_at")
    return {leave.user_id: leave for leave in rows}


def who_acts(duty: ABRoles, *, at: datetime | None = None, away: dict[int, Leave] | None = None) -> Acting:
    """`away` may be passed in (from `leaves_at`) when asking for many duties at once."""
    at = at or timezone.now()
    away = leaves_at([duty.primary_id, duty.backup_id], at) if away is None else away
    # A deactivated account is as good as absent: it can neither act nor be told.
    primary = duty.primary if duty.primary_id and duty.primary.is_active else None
    backup = duty.backup if duty.backup_id and duty.backup.is_active else None
    if primary is not None and primary.pk not in away:
        return Acting(primary, DutyRole.A, "")
    if primary is None:
        why = f"A角 {display_name(duty.primary)} 已停用" if duty.primary_id else "未设A角"
        if backup is not None and backup.pk not in away:
            return Acting(backup, DutyRole.B, f"{why}，由B角 {display_name(backup)} 承办")
        return Acting(None, "", f"{why}，由单位统一承办" if duty.primary_id else "")
    leave = away[primary.pk]
    until = timezone.localtime(leave.ends_at)
    if backup is not None and backup.pk not in away:
        return Acting(backup, DutyRole.B, f"A角 {display_name(primary)} 请假（至 {until:%m-%d %H:%M}），由B角 {display_name(backup)} 承办")
    return Acting(None, "", f"A角 {display_name(primary)} 请假（至 {until:%m-%d %H:%M}），B角{'也不在岗' if backup else '未设置'}，由单位统一承办")


def who_acts_many(duties, *, at: datetime | None = None) -> list[tuple[ABRoles, Acting]]:
    at = at or timezone.now()
    duties = list(duties)
    away = leaves_at({pk for d in duties for pk in (d.primary_id, d.backup_id)}, at)
    return [(duty, who_acts(duty, at=at, away=away)) for duty in duties]


def duty_models() -> list[type[ABRoles]]:
    """Every kind of duty with an A and a B (desks, duty list items, links ...)."""
    from django.apps import apps

    return [model for model in apps.get_models() if issubclass(model, ABRoles)]
