"""Writes on grid forces: members, their assignments to grids and the duty roster. Each checks the
scope (a district, street or community admin, inside their subtree), runs in one transaction and
writes its audit entry with the unit's region path, so the scope's audit log finds it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.scope import Action, is_command_center_staff, require
from yiwang.regions.models import Level, Region

from .models import Assignment, DutyShift, ForceMember, ForceRole
from .selectors import ASSIGNABLE_LEVELS, UNIT_LEVELS

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-[1-9]\d{6,7}(?:-\d{1,6})?")
# A roster slot longer than this is a typing slip (a wrong day or month), not a shift.
MAX_SHIFT = timedelta(hours=72)


def may_manage_forces(user) -> bool:
    """District, street and community admins keep the forces and rosters of their scope."""
    return is_command_center_staff(user)


def _require_unit(user, region: Region) -> None:
    if not may_manage_forces(user):
        raise PermissionDenied(_("只有区、街道、社区管理员可以维护网格力量和值班表。"))
    require(user, Action.CHANGE, region.path)


def _managing_unit(region: Region) -> Region:
    """Members are kept by a community (or higher), even when added from a grid's page."""
    while region.level in (Level.GRID, Level.MICRO_GRID) and region.parent_id:
        region = region.parent
    return region


def _detail(region: Region, **more) -> dict:
    return {"region": region.code, "region_path": region.path, **more}


def add_member(*, acting_user, region: Region, name: str, role: str, phone: str = "", unit: str = "") -> ForceMember:
    """A new member kept by the region's community (or the region itself above grids); added from a
    grid's page, they are also put on that grid from today in the same role."""
    _require_unit(acting_user, region)
    errors: dict[str, list[str]] = {}
    name, phone, unit = (name or "").strip(), (phone or "").strip(), (unit or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名。")]
    elif len(name) > 50:
        errors["name"] = [_("姓名最多 50 个字。")]
    if role not in ForceRole.values:
        errors["role"] = [_("请选择身份。")]
    if phone and not (_MOBILE.fullmatch(phone) or _LANDLINE.fullmatch(phone)):
        errors["phone"] = [_("请填写 11 位手机号或“区号-号码”形式的固定电话（如 023-12345678）。")]
    if len(unit) > 100:
        errors["unit"] = [_("所在单位最多 100 个字。")]
    if errors:
        raise ValidationError(errors)
    home = _managing_unit(region)
    with transaction.atomic():
        member = ForceMember(region=home, name=name, role=role, unit=unit)
        if phone:
            member.set_phone(phone)
        member.save()
        audit.record(actor=acting_user, action="forces.add_member", target=member, detail=_detail(home, name=name, role=role))
        if region.level in ASSIGNABLE_LEVELS:
            assign_member(acting_user=acting_user, member=member, grid=region, role=role, starts_on=timezone.localdate())
    return member


def _check_member(user, member: ForceMember) -> None:
    if not ForceMember.objects.restrict(user, Action.CHANGE).filter(pk=member.pk, active=True).exists():
        raise ValidationError({"member": [_("所选人员不在您的管理范围内或已离岗。")]})


def assign_member(*, acting_user, member: ForceMember, grid: Region, role: str, starts_on: date,
                  ends_on: date | None = None) -> Assignment:
    _require_unit(acting_user, grid)
    if grid.level not in ASSIGNABLE_LEVELS:
        raise ValidationError({"grid": [_("只能把人员分配到网格或微网格。")]})
    _check_member(acting_user, member)
    errors: dict[str, list[str]] = {}
    if role not in ForceRole.values:
        errors["role"] = [_("请选择岗位。")]
    if starts_on is None:
        errors["starts_on"] = [_("请填写起始日期。")]
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于起始日期。")]
    if not errors and Assignment.objects.filter(member=member, grid=grid, role=role).filter(
            ends_on__isnull=True).exists():
        errors["member"] = [_("%(name)s 已在本网格担任该岗位。") % {"name": member.name}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assignment = Assignment.objects.create(member=member, grid=grid, role=role, starts_on=starts_on, ends_on=ends_on)
        audit.record(actor=acting_user, action="forces.assign", target=assignment,
                     detail=_detail(grid, member=member.name, role=role, starts_on=str(starts_on)))
    return assignment


def remove_assignment(*, acting_user, assignment: Assignment) -> None:
    """Take a member off a grid: an assignment that has run ends yesterday (its history stays);
    one that has not started yet is deleted."""
    grid = assignment.grid
    _require_unit(acting_user, grid)
    today = timezone.localdate()
    with transaction.atomic():
        if assignment.starts_on < today:
            assignment.ends_on = today - timedelta(days=1)
            assignment.save(update_fields=["ends_on"])
            kind = "ended"
        else:
            assignment.delete()
            kind = "deleted"
        audit.record(actor=acting_user, action="forces.unassign", target_type=Assignment._meta.label_lower,
                     detail=_detail(grid, member=assignment.member.name, role=assignment.role, outcome=kind))


def add_shift(*, acting_user, region: Region, member: ForceMember, starts_at: datetime, ends_at: datetime,
              note: str = "") -> DutyShift:
    _require_unit(acting_user, region)
    if region.level not in UNIT_LEVELS:
        raise ValidationError({"region": [_("值班表只能排到街道、社区或网格。")]})
    _check_member(acting_user, member)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间须晚于开始时间。")]
    elif ends_at - starts_at > MAX_SHIFT:
        errors["ends_at"] = [_("一个班次最长 %(hours)d 小时，请检查日期。") % {"hours": MAX_SHIFT.total_seconds() // 3600}]
    if len(note) > 200:
        errors["note"] = [_("说明最多 200 个字。")]
    if not errors:
        clash = DutyShift.objects.filter(member=member, starts_at__lt=ends_at, ends_at__gt=starts_at).select_related("region").first()
        if clash is not None:
            errors["starts_at"] = [_("%(name)s 在 %(start)s 至 %(end)s 已在%(region)s值班，时间重叠。") % {
                "name": member.name, "region": clash.region.name,
                "start": timezone.localtime(clash.starts_at).strftime("%m-%d %H:%M"),
                "end": timezone.localtime(clash.ends_at).strftime("%m-%d %H:%M")}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        shift = DutyShift.objects.create(region=region, member=member, starts_at=starts_at, ends_at=ends_at, note=note)
        audit.record(actor=acting_user, action="forces.add_shift", target=shift,
                     detail=_detail(region, member=member.name, starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat()))
    return shift


def remove_shift(*, acting_user, shift: DutyShift) -> None:
    region = shift.region
    _require_unit(acting_user, region)
    with transaction.atomic():
        detail = _detail(region, member=shift.member.name, starts_at=shift.starts_at.isoformat(), ends_at=shift.ends_at.isoformat())
        shift.delete()
        audit.record(actor=acting_user, action="forces.remove_shift", target_type=DutyShift._meta.label_lower, detail=detail)
