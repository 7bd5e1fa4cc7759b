"""Who acts for a duty right now: A, or B while A is on leave (the one place for that rule).

A duty is any model mixing in `ABRoles`: a desk (board or handling unit), a duty list item, a
link to a grid. Work routed to a desk goes to whoever acts when it arrives; when A's leave begins,
A's open cases move to B (`hand_over`). Neither touches a deadline: the clock belongs to the
case, not to the person, so a leave never buys time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from yiwang.cases.models import OPEN_STATUSES, Case, DutyRole, Level

from .models import ABRoles, Desk, DeskKind, Leave


def _name(user) -> str:
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
        why = f"A角 {_name(duty.primary)} 已停用" if duty.primary_id else "未设A角"
        if backup is not None and backup.pk not in away:
            return Acting(backup, DutyRole.B, f"{why},由B角 {_name(backup)} 承办")
        return Acting(None, "", f"{why},由单位统一承办" if duty.primary_id else "")
    leave = away[primary.pk]
    until = timezone.localtime(leave.ends_at)
    if backup is not None and backup.pk not in away:
        return Acting(backup, DutyRole.B, f"A角 {_name(primary)} 请假(至 {until:%m-%d %H:%M}),由B角 {_name(backup)} 承办")
    return Acting(None, "", f"A角 {_name(primary)} 请假(至 {until:%m-%d %H:%M}),B角{'也不在岗' if backup else '未设置'},由单位统一承办")


def who_acts_many(duties, *, at: datetime | None = None) -> list[tuple[ABRoles, Acting]]:
    at = at or timezone.now()
    duties = list(duties)
    away = leaves_at({pk for d in duties for pk in (d.primary_id, d.backup_id)}, at)
    return [(duty, who_acts(duty, at=at, away=away)) for duty in duties]


def duty_models() -> list[type[ABRoles]]:
    """Every kind of duty with an A and a B (desks, duty list items, links ...)."""
    from django.apps import apps

    return [model for model in apps.get_models() if issubclass(model, ABRoles)]


def desk_for(case: Case) -> Desk | None:
    """The desk a case is with: the department's desk; at street level the board's desk (or the
    street's own desk); otherwise the handling region's desk. Remembered on the case object while
    its unit stays the same, so routing and the event that follows ask once."""
    unit = (case.level, case.handling_region_id, case.handling_department_id, case.board)
    remembered = getattr(case, "_ab_desk", None)
    if remembered is not None and remembered[0] == unit:
        return remembered[1]
    desk = _find_desk(case)
    case._ab_desk = (unit, desk)
    return desk


def _find_desk(case: Case) -> Desk | None:
    desks = Desk.objects.select_related("primary", "backup")
    if case.level == Level.DEPARTMENT:
        return desks.filter(kind=DeskKind.UNIT, department_id=case.handling_department_id).first() if case.handling_department_id else None
    if case.level in (Level.STREET, Level.COMMUNITY):
        item = _duty_item_for(case)
        if item is not None:
            return item
    if case.level == Level.STREET:
        board = desks.filter(kind=DeskKind.BOARD, region_id=case.handling_region_id, board=case.board).first()
        if board is not None:
            return board
    return desks.filter(kind=DeskKind.UNIT, region_id=case.handling_region_id, department__isnull=True).first()


def _duty_item_for(case: Case):
    """The item of the handling unit's own duty lists (in force) that covers the case's matter and
    names people who can handle cases at that level: the most specific duty there is."""
    from yiwang.cases.permissions import can_handle_at
    from yiwang.duties.models import DutyItem

    items = (DutyItem.objects.filter(duty_list__region_id=case.handling_region_id, in_force=True, primary__isnull=False,
                                     revisions__version_id=F("duty_list__current_version_id"), revisions__matter_types=case.matter_id)
             .select_related("primary__scope_region", "backup__scope_region", "duty_list").order_by("duty_list__kind", "key"))
    for item in items[:5]:
        people = [p for p in (item.primary, item.backup) if p is not None]
        if all(can_handle_at(p, level=case.level, region=case.handling_region) for p in people):
            return item
    return None


def assign(case: Case, *, at: datetime) -> str:
    """Put the case on whoever acts for its desk now (the caller saves it); returns the reason to
    record, "" when there is nothing to say."""
    desk = desk_for(case)
    if desk is None:
        case.assignee, case.assignee_role = None, ""
        return ""
    acting = who_acts(desk, at=at)
    case.assignee, case.assignee_role = acting.user, acting.role
    label = f"{desk.duty_list.name}“{desk}”" if hasattr(desk, "duty_list") else str(desk)
    if acting.user is None:
        return f"{label}:{acting.reason}" if acting.reason else ""
    return f"{label}:{acting.reason or f'A角 {_name(acting.user)} 承办'}"


def role_of(user, case: Case) -> str:
    """The role in which `user` acts on `case`: A or B of the case's desk, or "" for anyone else."""
    if user is None or not getattr(user, "pk", None):
        return ""
    if case.assignee_id == user.pk and case.assignee_role:
        return case.assignee_role
    desk = desk_for(case)
    if desk is None:
        return ""
    return DutyRole.A if desk.primary_id == user.pk else DutyRole.B if desk.backup_id == user.pk else ""


def cases_to_hand_over(leave: Leave):
    """Open cases put on the person on leave (as A, or as B while their A was away)."""
    return Case.objects.filter(assignee_id=leave.user_id, status__in=OPEN_STATUSES)
