"""Writes for grid work: record a patrol or a home visit (their findings may open cases in the closed
loop, all or nothing), and set or end a key-person care plan.

Who may write: a record needs the right to change data at its region (grid workers and community,
street and district staff inside their scope); the worker named on it is the acting user unless
staff record for someone else, who must themselves cover the region. Care plans are set by
community, street and district staff for their own region or one below it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.photos import CheckedPhoto, check_photos
from yiwang.core.scope import Action, Role, require, role_allows, scope_path
from yiwang.regions.models import Level, Region
from yiwang.registry.models import KeyGroup

from .models import CarePlan, Finding, Frequency, HomeVisit, PatrolLog, RecordPhoto

# A record typed a little ahead of the server's clock is clock skew, not the future.
CLOCK_SKEW = timedelta(minutes=5)
# Records are entered on the day or soon after; a month back is the latest a record may be
# entered (补录), so that last quarter's assessment cannot be padded afterwards.
MAX_BACKDATE = timedelta(days=30)
MAX_PATROL_LENGTH = timedelta(hours=24)
MAX_FINDINGS = 20
MAX_PERSONS = 20
MAX_SUMMARY = 2000
# Where a case opened from a finding says it came from (cases keep external_source + external_id unique).
CASE_SOURCE = "gridwork"
RECORD_LEVELS = (Level.GRID, Level.MICRO_GRID)
PLAN_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)
PLAN_SETTING_ROLES = {Role.COMMUNITY, Role.STREET, Role.DISTRICT}
# Patrols and home visits are kept by the grid's own people and those above them, not departments.
RECORDING_ROLES = {Role.GRID_WORKER, Role.COMMUNITY, Role.STREET, Role.DISTRICT}


def may_record(user) -> bool:
    """May this user record patrols and home visits (within their scope)?"""
    return bool(user.is_superuser or user.role in RECORDING_ROLES)


@dataclass
class FindingInput:
    """One thing found; with a matter type it opens a case."""

    description: str
    matter: object | None = None  # matters.MatterType
    urgency: str = "normal"


def _display(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _covers(user, region: Region) -> bool:
    prefix = scope_path(user)
    return prefix is not None and region.path.startswith(prefix)


def _grid_of(region: Region) -> Region:
    return region.parent if region.level == Level.MICRO_GRID and region.parent_id else region


def _finding_inputs(findings) -> list[FindingInput]:
    rows = []
    for item in findings or ():
        if isinstance(item, FindingInput):
            rows.append(item)
        elif isinstance(item, dict):
            rows.append(FindingInput(description=item.get("description") or "", matter=item.get("matter"),
                                     urgency=item.get("urgency") or "normal"))
        else:
            rows.append(FindingInput(description=str(item)))
    return rows


def _check_findings(rows: list[FindingInput]) -> dict[str, str]:
    from yiwang.cases.models import Urgency

    errors = {}
    if len(rows) > MAX_FINDINGS:
        errors["findings"] = f"一次最多记录 {MAX_FINDINGS} 个问题"
        return errors
    for number, row in enumerate(rows, start=1):
        if not (row.description or "").strip():
            errors[f"findings[{number}].description"] = f"第{number}个问题：请填写发现的问题"
        if row.matter is not None and not row.matter.active:
            errors[f"findings[{number}].matter"] = f"第{number}个问题：事项 {row.matter.name} 已停用"
        if row.urgency not in Urgency.values:
            errors[f"findings[{number}].urgency"] = f"第{number}个问题：未知的紧急程度 {row.urgency!r}"
    return errors


def _check_when(at: datetime | None, ended_at: datetime | None, now: datetime) -> tuple[datetime | None, datetime | None, dict[str, str]]:
    errors = {}
    if at is None:
        return None, ended_at, {"at": "请填写时间"}
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_SKEW:
        errors["at"] = "时间不能晚于现在"
    elif at < now - MAX_BACKDATE:
        errors["at"] = f"只能补录 {MAX_BACKDATE.days} 天内的记录"
    if ended_at is not None:
        if timezone.is_naive(ended_at):
            ended_at = timezone.make_aware(ended_at)
        if ended_at < at:
            errors["ended_at"] = "结束时间不能早于开始时间"
        elif ended_at > now + CLOCK_SKEW:
            errors["ended_at"] = "结束时间不能晚于现在"
        elif ended_at - at > MAX_PATROL_LENGTH:
            errors["ended_at"] = "一次巡查不超过24小时"
    return at, ended_at, errors


def _check_position(lon, lat) -> dict[str, str]:
    if lon is None and lat is None:
        return {}
    if lon is None or lat is None:
        return {"lat" if lat is None else "lon": "经纬度须同时填写或都不填"}
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return {"lon": "经纬度应为数字"}
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return {"lon": f"（{lon}, {lat}）不是有效的经纬度"}
    return {}


def _resolve(*, acting_user, region: Region | None, worker, objects: dict[str, object]) -> tuple[Region, object, dict[str, str]]:
    """The record's region (given, or where the first named object is), checked; and the worker."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    if region is None:
        named = next((obj for obj in objects.values() if obj is not None), None)
        if named is None:
            raise ValidationError({"region": "请选择网格或微网格"})
        region = named.region
    if region.level not in RECORD_LEVELS:
        raise ValidationError({"region": f"{region.name} 是{region.get_level_display()}，请选择网格或微网格"})
    # Outside the acting user's scope (or a role that only views): refused, with no detail.
    require(acting_user, Action.CHANGE, region.path)
    errors: dict[str, str] = {}
    worker = worker or acting_user
    if worker.pk != acting_user.pk and (not worker.is_active or not role_allows(worker, Action.CHANGE) or not _covers(worker, region)):
        errors["worker"] = f"{_display(worker)} 不负责 {region.name}，不能记为其工作"
    grid = _grid_of(region)
    for field, obj in objects.items():
        if obj is not None and not obj.region.path.startswith(grid.path):
            errors[field] = f"{obj} 不在 {grid.name} 内"
    return region, worker, errors


def _open_cases(record, rows: list[FindingInput], *, acting_user, now: datetime) -> list[str]:
    """Write the findings; those with a matter open a case through the closed loop's intake. A
    refused case raises a ValidationError naming the finding, and the caller's transaction rolls back."""
    from yiwang.cases.models import Channel
    from yiwang.cases.services import Report, report_case

    opened = []
    for number, row in enumerate(rows, start=1):
        case = None
        if row.matter is not None:
            report = Report(channel=Channel.GRID_WORKER, matter=row.matter, description=row.description.strip(), grid=record.region,
                            address=record.where[:200], reporter_name=record.worker_name[:50], urgency=row.urgency,
                            external_source=CASE_SOURCE, external_id=f"{record.kind}-{record.pk}-{number}")
            try:
                case = report_case(report, acting_user=acting_user, now=now).case
            except ValidationError as exc:
                detail = exc.message_dict if hasattr(exc, "error_dict") else {"matter": exc.messages}
                raise ValidationError({f"findings[{number}].{field}": f"第{number}个问题无法立案：{'；'.join(messages)}"
                                       for field, messages in detail.items()}) from exc
            opened.append(case.number)
        Finding.objects.create(region=record.region, row=number, description=row.description.strip(), case=case,
                               **{record.kind: record})
    return opened


def _summary(summary: str) -> tuple[str, dict[str, str]]:
    text = (summary or "").strip()
    if not text:
        return text, {"summary": "请填写情况记录"}
    if len(text) > MAX_SUMMARY:
        return text, {"summary": f"情况记录不超过 {MAX_SUMMARY} 字"}
    return text, {}


def _check_photos(photos) -> tuple[list[CheckedPhoto], dict[str, str]]:
    try:
        return check_photos(photos or ()), {}
    except ValidationError as exc:
        return [], {key: "；".join(messages) for key, messages in exc.message_dict.items()}


def _save_photos(record, photos: list[CheckedPhoto]) -> None:
    # Inside the record's transaction: the rows go with it. A file written before a rollback is
    # left unreferenced, never half a record.
    for number, photo in enumerate(photos, start=1):
        row = RecordPhoto(content_type=photo.content_type, size=len(photo.content), **{record.kind: record})
        stem = f"{record.kind}-{record.pk}-{number}"
        row.image.save(f"{stem}.{photo.extension}", ContentFile(photo.content), save=False)
        if photo.thumbnail:
            row.thumbnail.save(f"{stem}-thumb.{photo.extension}", ContentFile(photo.thumbnail), save=False)
        row.save()


def record_patrol(*, acting_user, at: datetime, summary: str, region: Region | None = None, worker=None, ended_at: datetime | None = None,
                  route: str = "", building=None, place=None, lon: float | None = None, lat: float | None = None, findings=(),
                  photos=(), now: datetime | None = None) -> PatrolLog:
    """Record a patrol and its findings; a finding with a matter opens a case, all or nothing."""
    now = now or timezone.now()
    region, worker, errors = _resolve(acting_user=acting_user, region=region, worker=worker, objects={"building": building, "place": place})
    at, ended_at, when_errors = _check_when(at, ended_at, now)
    text, summary_errors = _summary(summary)
    rows = _finding_inputs(findings)
    checked, photo_errors = _check_photos(photos)
    errors = {**when_errors, **summary_errors, **_check_position(lon, lat), **_check_findings(rows), **photo_errors, **errors}
    if len((route or "").strip()) > 200:
        errors["route"] = "巡查路线不超过200字"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        patrol = PatrolLog.objects.create(region=region, worker=worker, worker_name=_display(worker)[:50], at=at, ended_at=ended_at,
                                          route=(route or "").strip(), summary=text, building=building, place=place,
                                          lon=None if lon is None else float(lon), lat=None if lat is None else float(lat),
                                          recorded_by=audit.account(acting_user))
        opened = _open_cases(patrol, rows, acting_user=acting_user, now=now)
        _save_photos(patrol, checked)
        audit.record(actor=acting_user, action="gridwork.patrol", target=patrol,
                     detail={"region": region.code, "worker": worker.pk, "at": at.isoformat(), "findings": len(rows), "cases": opened,
                             "photos": len(checked)})
    return patrol


def record_visit(*, acting_user, at: datetime, summary: str, region: Region | None = None, worker=None, household=None,
                 persons: Iterable = (), building=None, place=None, lon: float | None = None, lat: float | None = None, findings=(),
                 photos=(), now: datetime | None = None) -> HomeVisit:
    """Record a home visit with the persons met (a care visit for those in a key group) and its
    findings; a finding with a matter opens a case, all or nothing."""
    now = now or timezone.now()
    people = list({p.pk: p for p in persons or ()}.values())
    # Persons first: without a region the record goes where the first person lives.
    objects = {f"persons[{number}]": person for number, person in enumerate(people, start=1)}
    objects |= {"household": household, "building": building, "place": place}
    region, worker, errors = _resolve(acting_user=acting_user, region=region, worker=worker, objects=objects)
    # One message for the persons field as well, so a form can show it next to the picker.
    if any(key.startswith("persons[") for key in errors):
        errors["persons"] = "；".join(v for k, v in errors.items() if k.startswith("persons["))
    if len(people) > MAX_PERSONS:
        errors["persons"] = f"一次走访最多记录 {MAX_PERSONS} 人"
    at, _, when_errors = _check_when(at, None, now)
    text, summary_errors = _summary(summary)
    rows = _finding_inputs(findings)
    checked, photo_errors = _check_photos(photos)
    errors = {**when_errors, **summary_errors, **_check_position(lon, lat), **_check_findings(rows), **photo_errors, **errors}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit = HomeVisit.objects.create(region=region, worker=worker, worker_name=_display(worker)[:50], at=at, summary=text,
                                         household=household, building=building, place=place,
                                         lon=None if lon is None else float(lon), lat=None if lat is None else float(lat),
                                         recorded_by=audit.account(acting_user))
        if people:
            visit.persons.set(people)
        opened = _open_cases(visit, rows, acting_user=acting_user, now=now)
        _save_photos(visit, checked)
        audit.record(actor=acting_user, action="gridwork.visit", target=visit,
                     detail={"region": region.code, "worker": worker.pk, "at": at.isoformat(), "persons": [p.pk for p in people],
                             "findings": len(rows), "cases": opened, "photos": len(checked)})
    return visit


def _may_set_plans(user, region: Region) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    if not user.is_superuser and user.role not in PLAN_SETTING_ROLES:
        raise PermissionDenied(gettext("只有社区、街道和区级工作人员可以设置关爱计划"))
    require(user, Action.CHANGE, region.path)


def set_care_plan(*, acting_user, region: Region, group: str, frequency_days: int, starts_on: date | None = None,
                  note: str = "") -> CarePlan:
    """Put a care plan in force for one key group in a district, street or community; the plan in
    force there for the same group (if any) ends today."""
    if region is None:
        raise ValidationError({"region": "请选择适用区域"})
    _may_set_plans(acting_user, region)
    today = timezone.localdate()
    starts_on = starts_on or today
    errors = {}
    if region.level not in PLAN_LEVELS:
        errors["region"] = f"关爱计划按区、街道或社区设置，{region.name} 是{region.get_level_display()}"
    if group not in KeyGroup.values:
        errors["group"] = f"未知的重点人群 {group!r}"
    if frequency_days not in Frequency.values:
        errors["frequency_days"] = f"走访频次应为 {'、'.join(str(label) for label in Frequency.labels)} 之一"
    if abs((starts_on - today).days) > 366:
        errors["starts_on"] = "开始日期应在一年以内"
    if len((note or "").strip()) > 200:
        errors["note"] = "关爱内容不超过200字"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Locked, so two plans set for the same region at once are written one after the other.
        Region.objects.select_for_update().filter(pk=region.pk).first()
        current = CarePlan.objects.select_for_update().filter(region=region, group=group, active=True).first()
        replaced = None
        if current is not None:
            current.active = False
            current.ends_on = max(today, current.starts_on)
            current.save(update_fields=["active", "ends_on"])
            replaced = current.pk
        plan = CarePlan(region=region, group=group, frequency_days=frequency_days, starts_on=starts_on, note=(note or "").strip(),
                        created_by=audit.account(acting_user))
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError as exc:
            raise ValidationError({"group": f"{region.name} 的{KeyGroup(group).label}关爱计划刚刚已被设置，请刷新后重试"}) from exc
        audit.record(actor=acting_user, action="gridwork.care_plan.set", target=plan,
                     detail={"region": region.code, "group": group, "frequency_days": frequency_days,
                             "starts_on": starts_on.isoformat(), "replaced": replaced})
    return plan


def end_care_plan(plan: CarePlan, *, acting_user) -> CarePlan:
    """Stop a plan (its record stays); the plan above, if any, applies again."""
    _may_set_plans(acting_user, plan.region)
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
        if not plan.active:
            raise ValidationError({"active": "该关爱计划已结束"})
        plan.active = False
        plan.ends_on = max(timezone.localdate(), plan.starts_on)
        plan.save(update_fields=["active", "ends_on"])
        audit.record(actor=acting_user, action="gridwork.care_plan.end", target=plan, detail={"region": plan.region.code, "group": plan.group})
    return plan
