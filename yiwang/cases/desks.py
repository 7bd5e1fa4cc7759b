"""Which desk a case is with, and whom on it the case is put on: the duty list item covering its
matter, else the street board's desk, else the unit's or department's desk; on that duty, whoever
acts now (A, or B while A is on leave: `ab_roles.acting.who_acts`). Deadlines never move for it."""

from __future__ import annotations

from datetime import datetime

from yiwang.ab_roles.acting import display_name, who_acts
from yiwang.ab_roles.models import Desk, DeskKind, DutyRole
from yiwang.core.stamped import StampedCache, table_stamp
from yiwang.duties.acting import item_for_matter

from .models import OPEN_STATUSES, Case, Level


def desk_for(case: Case):
    """The duty a case is with: the department's desk; at street or community level the duty list
    item covering its matter; at street level the board's desk (or the street's own desk); otherwise
    the handling region's desk. Remembered on the case object while its unit stays the same, so
    routing and the event that follows ask once."""
    unit = (case.level, case.handling_region_id, case.handling_department_id, case.board)
    remembered = getattr(case, "_ab_desk", None)
    if remembered is not None and remembered[0] == unit:
        return remembered[1]
    desk = _find_desk(case)
    case._ab_desk = (unit, desk)
    return desk


def _read_desk_index() -> dict[tuple, int]:
    """(kind, department, region, board) → the first desk's id, as `.first()` would pick it."""
    index: dict[tuple, int] = {}
    for pk, kind, department_id, region_id, board in Desk.objects.order_by("pk").values_list("pk", "kind", "department_id", "region_id", "board"):
        if kind == DeskKind.UNIT and department_id is not None:
            index.setdefault((kind, department_id, None, None), pk)
        elif kind == DeskKind.BOARD:
            index.setdefault((kind, None, region_id, board), pk)
        else:
            index.setdefault((kind, None, region_id, None), pk)
    return index


# Which desk each unit has, kept per process (every intake asks; desks change seldom): a unit with
# no desk costs no query, one with a desk one read of it. Saves in this process clear it at once
# (apps.py), other processes' within two seconds.
desk_index = StampedCache(stamp=lambda: table_stamp(Desk.objects.all()), build=_read_desk_index)


def _desk(key: tuple):
    pk = desk_index.get().get(key)
    return None if pk is None else Desk.objects.select_related("primary", "backup").filter(pk=pk).first()


def _find_desk(case: Case):
    if case.level == Level.DEPARTMENT:
        return _desk((DeskKind.UNIT, case.handling_department_id, None, None)) if case.handling_department_id else None
    if case.level in (Level.STREET, Level.COMMUNITY):
        item = item_for_matter(matter_id=case.matter_id, level=case.level, region=case.handling_region)
        if item is not None:
            return item
    if case.level == Level.STREET:
        board = _desk((DeskKind.BOARD, None, case.handling_region_id, case.board))
        if board is not None:
            return board
    return _desk((DeskKind.UNIT, None, case.handling_region_id, None))


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
    return f"{label}:{acting.reason or f'A角 {display_name(acting.user)} 承办'}"


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


def assign_open_cases(*, inside: str, at: datetime) -> int:
    """Put every open case under the region path `inside` on its desk (the demo, after building desks)."""
    assigned = []
    for case in Case.objects.filter(region__path__startswith=inside, status__in=OPEN_STATUSES):
        assign(case, at=at)
        if case.assignee_id:
            assigned.append(case)
    Case.objects.bulk_update(assigned, ["assignee", "assignee_role"])
    return len(assigned)
