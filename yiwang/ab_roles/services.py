"""Writes for A/B roles: set a desk's A and B, record or cancel a leave. A's open work goes to B
in the apps that own it (cases: `cases.handover`), told by `signals.leave_started`."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.audit import account
from yiwang.core.scope import DESK_ROLES, Action, require, scope_path
from yiwang.matters.models import Board, Department
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region

from .acting import who_acts
from .models import Desk, DeskKind, Leave
from .signals import leave_started
from .units import LEVEL_OF_REGION, Level, can_handle_at

MAX_LEAVE_DAYS = 366


def desk_level(desk: Desk) -> str:
    """The case level a desk's work is kept at."""
    if desk.department_id:
        return Level.DEPARTMENT
    return Level.STREET if desk.kind == DeskKind.BOARD else LEVEL_OF_REGION[desk.region.level]


def check_duty_people(*, level: str, region: Region, department=None, primary=None, backup=None) -> None:
    """A and B must be people who can do the duty's work (handle cases at that unit), or work put on
    them would land with someone who may not act on it. Raises naming the field."""
    if primary is not None and backup is not None and primary.pk == backup.pk:
        raise ValidationError({"backup": "B角不能与A角是同一人"})
    where = department.name if department is not None else region.name
    for field, user, label in (("primary", primary, "A角"), ("backup", backup, "B角")):
        if user is None:
            continue
        if not user.is_active:
            raise ValidationError({field: f"{label} {user.username} 已停用"})
        if not can_handle_at(user, level=level, region=region, department=department):
            raise ValidationError({field: f"{label} {user.username} 不是 {where} 能办理事件的人员"})


def may_set_desks(user) -> bool:
    """Who names A and B: the coordinators (community, street, district), each within their scope."""
    return account(user) is not None and (user.is_superuser or user.role in DESK_ROLES)


@transaction.atomic
def save_desk(*, acting_user, kind: str, region: Region | None = None, board: str = "", department: Department | None = None,
              primary=None, backup=None) -> Desk:
    """Create or change the desk of a board, a region or a department, with its A and B."""
    if kind not in DeskKind.values:
        raise ValidationError({"kind": gettext("没有“%(kind)s”这种岗位") % {"kind": kind}})
    if department is not None:
        region = department.region
    if region is None:
        raise ValidationError({"region": gettext("请选择岗位所在的单位（区域）或部门")})
    if not may_set_desks(acting_user):
        raise PermissionDenied(gettext("只有社区、街道或区级工作人员可以设置A、B角"))
    require(acting_user, Action.CHANGE, region.path)
    if kind == DeskKind.BOARD:
        if board not in Board.values:
            raise ValidationError({"board": gettext("请从四个板块中选择一个")})
        if region.level != RegionLevel.STREET or department is not None:
            raise ValidationError({"region": gettext("板块岗位属于街道指挥中心")})
        desk = Desk.objects.select_for_update().filter(kind=kind, region=region, board=board).first() or Desk(kind=kind, region=region, board=board)
    elif department is not None:
        desk = Desk.objects.select_for_update().filter(kind=kind, department=department).first() or Desk(kind=kind, region=region, department=department)
    else:
        if region.level not in LEVEL_OF_REGION:
            raise ValidationError({"region": gettext("办理岗位属于网格、社区、街道或部门")})
        desk = (Desk.objects.select_for_update().filter(kind=kind, region=region, department__isnull=True).first()
                or Desk(kind=kind, region=region))
    check_duty_people(level=desk_level(desk), region=desk.region, department=desk.department if desk.department_id else None,
                      primary=primary, backup=backup)
    before = {"primary": desk.primary_id, "backup": desk.backup_id}
    desk.primary, desk.backup = primary, backup
    desk.save()
    audit.record(actor=acting_user, action="ab_roles.save_desk", target=desk,
                 detail={"desk": str(desk), "before": before, "after": {"primary": desk.primary_id, "backup": desk.backup_id}})
    return desk


def _may_record_for(acting_user, user) -> bool:
    """Oneself, or a coordinator (community, street, district) over the person's unit."""
    if account(acting_user) is None:
        return False
    if acting_user.pk == user.pk or acting_user.is_superuser:
        return True
    region, own = user.scope_region, scope_path(acting_user)
    return region is not None and own is not None and acting_user.role in DESK_ROLES and region.path.startswith(own)


def record_leave(*, acting_user, user, starts_at: datetime, ends_at: datetime, reason: str, now: datetime | None = None) -> Leave:
    """Record a leave; if it has begun, A's open cases go to B at once (`leave_started`; otherwise the
    sweep does it when it begins)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("请填写请假事由")})
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is None or timezone.is_naive(value):
            raise ValidationError({name: gettext("请填写日期和时间")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": gettext("请假结束时间须晚于开始时间")})
    if (ends_at - starts_at).days > MAX_LEAVE_DAYS:
        raise ValidationError({"ends_at": gettext("请假最长%(days)s天；更长的离岗请调整A、B角") % {"days": MAX_LEAVE_DAYS}})
    if ends_at <= now:
        raise ValidationError({"ends_at": gettext("这次请假已经结束")})
    if not _may_record_for(acting_user, user):
        raise PermissionDenied(gettext("只能为本人或本单位人员登记请假"))
    region = user.scope_region
    if region is None:
        raise ValidationError({"user": gettext("%(name)s没有所属单位（数据范围），不能登记请假") % {"name": user.get_full_name() or user.username}})
    with transaction.atomic():
        # Lock the person's row: with no leave yet there is no leave row to lock, and two overlapping
        # records must not both pass the check.
        get_user_model().objects.select_for_update().get(pk=user.pk)
        mine = list(Leave.objects.filter(user=user, cancelled_at__isnull=True, ends_at__gt=starts_at, starts_at__lt=ends_at))
        if mine:
            clash = mine[0]
            raise ValidationError({"starts_at": f"{user.username} 已有请假 {timezone.localtime(clash.starts_at):%m-%d %H:%M}"
                                                f"–{timezone.localtime(clash.ends_at):%m-%d %H:%M}，时间重叠"})
        leave = Leave.objects.create(user=user, region=region, starts_at=starts_at, ends_at=ends_at, reason=reason[:200],
                                     recorded_by=account(acting_user), recorded_at=now)
        audit.record(actor=acting_user, action="ab_roles.record_leave", target=leave,
                     detail={"user": user.username, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
        if starts_at <= now:
            leave_started.send(sender=Leave, leave=leave, acting_user=acting_user, now=now)
    return leave


def cancel_leave(leave: Leave, *, acting_user, now: datetime | None = None) -> Leave:
    """Cancel a leave (A is back early or did not go). Cases already with B stay with B: they were
    handed over with their deadlines, and moving them back would only add a step."""
    now = now or timezone.now()
    with transaction.atomic():
        leave = Leave.objects.select_for_update().get(pk=leave.pk)
        if not _may_record_for(acting_user, leave.user):
            raise PermissionDenied(gettext("只能为本人或本单位人员撤销请假"))
        if leave.cancelled_at is not None:
            raise ValidationError({"leave": gettext("这次请假已经撤销")})
        if leave.ends_at <= now:
            raise ValidationError({"leave": gettext("这次请假已经结束")})
        leave.cancelled_at = now
        leave.save(update_fields=["cancelled_at"])
        audit.record(actor=acting_user, action="ab_roles.cancel_leave", target=leave, detail={"user": leave.user.username})
    return leave


__all__ = ["save_desk", "record_leave", "cancel_leave", "who_acts"]
