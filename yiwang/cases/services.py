"""Every write to a case: intake, each transition, summonses. Each is one transaction that
changes the rows, writes the timeline/audit row and schedules notifications on commit.

Read-then-write always locks the case row first (`select_for_update`), so two people acting on
the same case at once cannot both win: the second sees the new status and gets IllegalTransition.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.ab_roles.units import LEVEL_OF_REGION
from yiwang.core.audit import account
from yiwang.core.scope import Role, is_resident, is_staff
from yiwang.matters.models import Department, MatterType
from yiwang.matters.selectors import is_service_application
from yiwang.matters.services import current_version
from yiwang.points import services as points
from yiwang.points.models import PointEvent
from yiwang.regions import lookup
from yiwang.regions.coords import WGS84
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region
from yiwang.regions.selectors import cached_regions
from yiwang.worktime import calendar as work_calendar
from yiwang.worktime.sla import Limit

from yiwang.duties.admission import grid_admission

from . import clock, moderation, notices, routing, selectors, skiplevel, stages
from . import desks as ab_acting
from .lifecycle import MACHINE, PUBLIC_ACTIONS, Transition, transition_for
from .models import (
    Case, CaseEvent, CasePhoto, Channel, ExtensionRequest, Level, PhotoKind, Rating, RequestStatus,
    RoutingDecision, Status, Summons, SummonsPart, SummonsStatus, Urgency,
)
from .permissions import channels_for, duty_conflict, is_coordinator, may_act, may_act_as_actor
from yiwang.core.photos import CheckedPhoto, check_photos

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 -]{3,22}[0-9]$")
ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def hash_access_code(code: str) -> str:
    # Keyed (the field key), so a copied database does not let anyone try all 32^8 codes offline.
    from yiwang.core import crypto

    return crypto.digest("access-code:" + code.strip().upper())


def _label(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return user.get_full_name() or user.username


# Intake ------------------------------------------------------------------------------------------

@dataclass
class Report:
    """A report as it arrives from any channel, before it is a case."""

    channel: str
    matter: MatterType
    description: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = WGS84
    grid: Region | None = None  # picked by hand when there is no position
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    attributes: dict = field(default_factory=dict)
    urgency: str = Urgency.NORMAL
    photos: list = field(default_factory=list)
    reported_at: datetime | None = None
    device: object | None = None
    external_source: str = ""
    external_id: str = ""
    # The reporter's own choice (公开显示), resident and Open311 channels only; default private.
    publish: bool = False
    # A signed-in resident reporting as themselves (随手拍): kept as the case's reporter for 我的上报.
    reporter_account: object | None = None


@dataclass
class Intake:
    case: Case
    access_code: str


def check_attributes(matter: MatterType, given: dict, *, answers_required: bool = True) -> dict:
    """The answers to the matter's extra questions, checked against their definitions. A sensor
    cannot answer a question put to people (`answers_required=False`): what it gives is still checked."""
    given = dict(given or {})
    known = {a["code"]: a for a in matter.attributes}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValidationError({"attributes": gettext("事项%(matter)s没有这些问题：%(codes)s") % {"matter": matter.name, "codes": "、".join(unknown)}})
    clean = {}
    for code, definition in known.items():
        value = given.get(code)
        if value in (None, "", []):
            if definition.get("required") and answers_required:
                raise ValidationError({f"attribute[{code}]": gettext("请填写%(question)s") % {"question": definition["description"]}})
            continue
        datatype = definition.get("datatype", "string")
        if not datatype.endswith("valuelist") and isinstance(value, (list, dict)):
            raise ValidationError({f"attribute[{code}]": gettext("%(question)s：只能填一个值") % {"question": definition["description"]}})
        if datatype == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValidationError({f"attribute[{code}]": gettext("%(question)s：请填数字") % {"question": definition["description"]}}) from None
            if not math.isfinite(value):
                raise ValidationError({f"attribute[{code}]": gettext("%(question)s：请填有效的数字") % {"question": definition["description"]}})
        elif datatype == "datetime":
            try:
                value = datetime.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ValidationError({f"attribute[{code}]": gettext("%(question)s：请填日期和时间，如 2026-03-01 09:30") % {"question": definition["description"]}}) from None
        elif datatype.endswith("valuelist"):
            allowed = {str(v["key"]) for v in definition["values"]}
            values = value if isinstance(value, list) else [value]
            bad = [str(v) for v in values if str(v) not in allowed]
            if bad or (datatype == "singlevaluelist" and len(values) != 1):
                raise ValidationError({f"attribute[{code}]": gettext("%(question)s：请从%(choices)s中选择") % {"question": definition["description"], "choices": "、".join(sorted(allowed))}})
            value = [str(v) for v in values] if datatype == "multivaluelist" else str(values[0])
        else:
            value = str(value)[:500]
        clean[code] = value
    return clean


def _locate(report: Report) -> tuple[Region, Region | None, str, float | None, float | None]:
    lon, lat = report.lon, report.lat
    if (lon is None) != (lat is None):
        raise ValidationError({"lat" if lat is None else "lon": gettext("经度和纬度须同时填写，或都不填")})
    if lon is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError({"lon": gettext("（%(lon)s，%(lat)s）不是有效的经纬度") % {"lon": lon, "lat": lat}})
        if report.crs != WGS84:
            from yiwang.regions.coords import to_wgs84

            lon, lat = to_wgs84(lon, lat, report.crs)
        found = lookup.locate(lon, lat)
        if not found.found:
            raise ValidationError({"lat": gettext("点位（%(lon).6f，%(lat).6f）不在任何网格内") % {"lon": lon, "lat": lat}})
        rows = cached_regions(ids=[found.grid_id, *([found.micro_grid_id] if found.micro_grid_id else [])])
        grid, micro = rows[found.grid_id], rows.get(found.micro_grid_id)
        return grid, micro, f"点位（{lon:.6f}, {lat:.6f}）落在 {grid.name}（{grid.code}）", lon, lat
    if report.grid is None:
        raise ValidationError({"lat": gettext("请在地图上选择位置，或选择网格")})
    if report.grid.level not in (RegionLevel.GRID, RegionLevel.MICRO_GRID):
        raise ValidationError({"grid": gettext("%(region)s不是网格") % {"region": report.grid.name}})
    grid, micro = (report.grid.parent, report.grid) if report.grid.level == RegionLevel.MICRO_GRID else (report.grid, None)
    return grid, micro, f"登记人选定网格 {grid.name}({grid.code})", None, None


def _resident_reporter(report: Report):
    """The resident's own account, on the resident channel only (a desk entry names no account)."""
    user = account(report.reporter_account)
    return user if report.channel == Channel.RESIDENT and is_resident(user) else None


def _check_channel(report: Report, acting_user) -> None:
    """An account files only on its role's channels. Without an account the caller is a public
    door (随手拍, Open311, a device) or the system; other apps' intakes (a patrol's finding, a
    link visit, a deliberation) tag the case with their source and check their own rules."""
    if acting_user is None or report.external_source:
        return
    if report.channel not in channels_for(acting_user):
        raise PermissionDenied(gettext("您的角色不能通过“%(channel)s”登记事件") % {"channel": Channel(report.channel).label
                                                                          if report.channel in Channel.values else report.channel})


def _check_area(report: Report, acting_user, grid: Region, micro: Region | None) -> None:
    """A grid worker files only inside their own grids, whether by a point or a chosen grid."""
    if acting_user is None or acting_user.is_superuser or getattr(acting_user, "role", None) != Role.GRID_WORKER:
        return
    own = acting_user.scope_region.path if acting_user.scope_region_id else None
    place = micro or grid
    if own is None or not place.path.startswith(own):
        field_name = "lat" if report.lon is not None else "grid"
        raise ValidationError({field_name: gettext("该位置在%(grid)s，不在您负责的网格内") % {"grid": grid.name}})


def service_application_refusal(matter: MatterType) -> str:
    """Why a service application is not taken as a resident's problem report, naming where it goes."""
    return gettext("“%(matter)s”是办事申请，不通过随手拍上报；请到一站式服务办理。") % {"matter": matter.name}


def report_case(report: Report, *, acting_user=None, now: datetime | None = None) -> Intake:
    """Validate, locate, route, start the clock and record a new case."""
    matter = report.matter
    if not matter.active:
        raise ValidationError({"matter": gettext("事项“%(matter)s”已停用") % {"matter": matter.name}})
    # Residents' doors take problems; applications (低保申请…) go to the one-stop hall (staff register them at the desk).
    if report.channel in moderation.REPORTER_CHANNELS and is_service_application(matter):
        raise ValidationError({"matter": service_application_refusal(matter)})
    if report.urgency not in Urgency.values:
        raise ValidationError({"urgency": gettext("没有“%(urgency)s”这种紧急程度") % {"urgency": report.urgency}})
    attributes = check_attributes(matter, report.attributes, answers_required=report.channel != Channel.DEVICE)
    phone = (report.reporter_phone or "").strip()
    if phone and not PHONE_PATTERN.match(phone):
        raise ValidationError({"reporter_phone": gettext("电话号码应为5至20位数字（可以+开头）")})
    photos = _checked(report.photos, field="photos")
    _check_channel(report, acting_user)
    grid, micro, how_found, lon, lat = _locate(report)
    _check_area(report, acting_user, grid, micro)
    now = now or timezone.now()
    reported_at = report.reported_at or now
    calendar = work_calendar.current()
    code = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(8))
    # Reads first: on SQLite the transaction below holds the write lock, so it should only write.
    version = current_version(matter)
    route = routing.route(matter_version=version, grid=grid, how_found=how_found)
    # Urgent matters may skip the tier's first level by rule (越级上报), whichever door they came in by.
    route = skiplevel.apply(route, matter_version=version, urgency=report.urgency, grid=grid)
    case = Case(
        channel=report.channel, matter=matter, matter_version=version, board=matter.board, tier=route.tier,
        urgency=report.urgency, level=route.level, region=grid, micro_grid=micro, lon=lon, lat=lat,
        address=report.address[:200], description=report.description, attributes=attributes,
        reporter_name=report.reporter_name[:50], reported_by=account(acting_user) or _resident_reporter(report), access_code_hash=hash_access_code(code),
        handling_region=route.region, handling_department=route.department if route.level == Level.DEPARTMENT else None,
        device=report.device,
        external_source=report.external_source, external_id=report.external_id, reported_at=reported_at,
    )
    if phone:
        case.set_phone(phone)
    clock.start_step(case, now=reported_at, calendar=calendar)
    clock.set_close_due(case, start=reported_at, calendar=calendar)
    who = ab_acting.assign(case, at=now)  # the reason to record: whose desk, A or B
    with transaction.atomic():
        case.save()
        stages.follow(case, now=reported_at, new=True)
        case.number = f"{timezone.localtime(reported_at):%Y%m%d}{case.pk:06d}"
        Case.objects.filter(pk=case.pk).update(number=case.number)
        routed = _record_route(case, at=now, actor=None, reasons=route.reasons, department=route.department, who=who,
                               skip_rule=route.skip_rule, copies=route.copies)
        event = _event(case, "report", "", Status.REPORTED, actor=acting_user, note=report.description[:200], at=reported_at,
                       label=_label(acting_user) or report.reporter_name or Channel(report.channel).label)
        _save_photos(case, event, photos, PhotoKind.REPORT)
        moderation.offer(case, requested=report.publish, now=now)
        if report.channel == Channel.GRID_WORKER and account(acting_user):
            points.award(case=case, event=PointEvent.REPORTED, worker=acting_user, at=now, new_case=True)
        _queue_notifications(case, event)
        if routed.skip_rule_id:
            notices.announce_skip_level(routed)
    return Intake(case=case, access_code=code)


def solve_on_spot(report: Report, *, acting_user, before: list, after: list, note: str, now: datetime | None = None) -> Intake:
    """A grid worker reports a tier-A case already solved, with before and after photos."""
    if not before or not after:
        raise ValidationError({"photos": gettext("现场解决须上传处置前和处置后的照片")})
    before, after = check_photos(before, field="before"), check_photos(after, field="after")
    with transaction.atomic():
        intake = report_case(report, acting_user=acting_user, now=now)
        if intake.case.tier != "A":
            raise ValidationError({"matter": gettext("%(matter)s不是可现场解决的简易事项") % {"matter": report.matter.name}})
        perform(intake.case, "solve_on_spot", acting_user=acting_user, note=note, photos={PhotoKind.BEFORE: before, PhotoKind.AFTER: after}, now=now)
        intake.case.refresh_from_db()
    return intake


# Transitions -------------------------------------------------------------------------------------

@dataclass
class Context:
    case: Case
    transition: Transition
    actor: object
    note: str
    now: datetime
    params: dict
    calendar: object
    detail: dict = field(default_factory=dict)
    restart_clock: bool = True
    routed: bool = False  # the action recorded a routing decision (and so put the case on the desk's A or B)


def perform(case: Case | int, action: str, *, acting_user=None, note: str = "", public: bool | None = None, system: bool = False,
            access_code: str | None = None, photos: dict | None = None, now: datetime | None = None, **params) -> Case:
    """Take `action` on the case, if the table allows it from the case's current status and the
    user is the actor the table names. One transaction; raises IllegalTransition or PermissionDenied."""
    now = now or timezone.now()
    checked = {kind: _checked(files, field=kind) for kind, files in (photos or {}).items()}
    with transaction.atomic():
        pk = case.pk if isinstance(case, Case) else case
        locked = Case.objects.select_for_update().get(pk=pk)
        transition = transition_for(locked.status, action)
        reporter_verified = bool(access_code) and secrets.compare_digest(hash_access_code(access_code), locked.access_code_hash)
        if not may_act_as_actor(acting_user, locked, transition, system=system, reporter_verified=reporter_verified):
            raise PermissionDenied(gettext("您不是事件%(number)s当前这一步的办理方，不能执行此操作") % {"number": locked.number})
        callback = bool(params.pop("callback", False))
        conflict = "" if system else duty_conflict(acting_user, locked, transition, callback=callback)
        if conflict:
            raise PermissionDenied(conflict)
        note = (note or "").strip()
        if transition.needs_note and not note:
            raise ValidationError({"note": gettext("请写明理由")})
        recorded_callback = callback and action in ("rate", "rate_unsatisfied") and is_staff(acting_user)
        if recorded_callback and not note:
            # The rating is the resident's answer on the call, so it is written down as they gave it.
            raise ValidationError({"note": gettext("回访评价须记录反映人的答复")})
        ctx = Context(locked, transition, acting_user, note, now, {**params, "_photo_kinds": {k for k, v in checked.items() if v}},
                      work_calendar.current())
        before = locked.status
        unit_before = (locked.level, locked.handling_region_id, locked.handling_department_id)
        # The role is the one held where the case was when the actor acted, not where it goes.
        actor_role = ab_acting.role_of(account(acting_user), locked)
        APPLY.get(action, _nothing)(ctx)
        if (locked.level, locked.handling_region_id, locked.handling_department_id) != unit_before and not ctx.routed:
            # A move without a routing decision (a return to the dispatcher): the new unit's desk takes it.
            ab_acting.assign(locked, at=now)
        MACHINE.apply(locked, transition, now)
        if transition.target is not None and ctx.restart_clock and (locked.status != before or action in {"rework", "escalate", "auto_escalate"}):
            if before == Status.SIGNED:  # extension requests exist only while a case is signed
                _leave_paused_step(ctx)
            clock.start_step(locked, now=now, calendar=ctx.calendar)
        locked.save()
        stages.follow(locked, now=now)
        public = action in PUBLIC_ACTIONS if public is None else public
        if recorded_callback:
            ctx.detail.update(callback=True, answer="resident")
        label = _label(acting_user) or ("系统" if system else "反映人" if reporter_verified else "")
        if recorded_callback:
            label = f"反映人（回访，{label}记录）"
        event = _event(locked, action, before, locked.status, actor=acting_user, note=note, at=now, public=public,
                       detail=ctx.detail, actor_role=actor_role, label=label)
        for kind, files in checked.items():
            _save_photos(locked, event, files, kind)
        left_step = locked.status != before or (locked.level, locked.handling_region_id, locked.handling_department_id) != unit_before
        notices.settle(locked, action=action, left_step=left_step, now=now)
        _queue_notifications(locked, event)
    if isinstance(case, Case):
        case.refresh_from_db()
    return locked


def _checked(files, *, field: str) -> list[CheckedPhoto]:
    """Photos checked once: a list already checked (by a caller that validates early) passes through."""
    files = list(files or [])
    return files if all(isinstance(f, CheckedPhoto) for f in files) else check_photos(files, field=field)


def _leave_paused_step(ctx: Context) -> None:
    """A step left while its clock is paused: the whole case gets the paused time back, and an
    extension request nobody decided is void (the step it asked more time for is over)."""
    if ctx.case.paused_at is not None:
        clock.resume(ctx.case, now=ctx.now, calendar=ctx.calendar)
    voided = ctx.case.extensions.filter(status=RequestStatus.PENDING).update(
        status=RequestStatus.REFUSED, decided_at=ctx.now, decision_note="环节已结束，申请作废")
    if voided:
        ctx.detail["extension_voided"] = True


def _nothing(ctx: Context) -> None:
    pass


def _merge(ctx: Context) -> None:
    original = ctx.params.get("original")
    if original is None:
        raise ValidationError({"original": gettext("请指明与之重复的事件")})
    original = Case.objects.get(pk=getattr(original, "pk", original))
    if original.pk == ctx.case.pk or original.status in (Status.MERGED, Status.REJECTED):
        raise ValidationError({"original": gettext("事件%(number)s不能再并入其他事件") % {"number": original.number}})
    if original.matter_id != ctx.case.matter_id:
        raise ValidationError({"original": gettext("事件%(number)s的事项不同，不能并案") % {"number": original.number}})
    ctx.case.merged_into = original
    ctx.detail["merged_into"] = original.number


def _dispatch(ctx: Context) -> None:
    case = ctx.case
    department, region = ctx.params.get("department"), ctx.params.get("region")
    reasons = []
    # A target the coordinator chose must be one the dispatch form offers; the default is routing's own.
    explicit = department is not None or region is not None
    if not explicit:
        department, region = default_dispatch_target(case)
        reasons.append("按分拨建议派遣" if department is not None else f"派至 {region.name}")
    if department is not None:
        department = department if isinstance(department, Department) else Department.objects.filter(pk=department).first()
        if department is None:
            raise ValidationError({"department": gettext("没有这个部门")})
        if not department.active:
            raise ValidationError({"department": gettext("%(department)s已停用") % {"department": department.name}})
        if explicit and not selectors.dispatch_departments(case).filter(pk=department.pk).exists():
            raise ValidationError({"department": gettext("%(department)s 的服务区域不含事件所在的%(grid)s，不能派遣") % {
                "department": department.name, "grid": case.region.name}})
        case.level, case.handling_department = Level.DEPARTMENT, department
        reasons.append(f"派遣 {department.name}")
    else:
        region = region if isinstance(region, Region) else Region.objects.get(pk=region)
        level = LEVEL_OF_REGION.get(region.level)
        if level is None or not case.region.path.startswith(region.path) and not region.path.startswith(case.region.path):
            raise ValidationError({"region": gettext("%(region)s不能办理%(case_region)s的事件") % {"region": region.name, "case_region": case.region.name}})
        if level == Level.GRID:
            admission = grid_admission(grid=case.region, matter_type=case.matter)
            if not admission.admitted:
                raise ValidationError({"region": admission.reason})
            reasons.append(admission.reason)
        if explicit and not selectors.dispatch_regions(ctx.actor, case).filter(pk=region.pk).exists():
            raise ValidationError({"region": gettext("不能派往%(region)s：派往单位须是事件所在的街道、社区或网格，且在您的管辖范围内") % {
                "region": region.name}})
        case.level, case.handling_region, case.handling_department = level, region, None
    case.handler = None
    _record_route(case, at=ctx.now, actor=ctx.actor, reasons=reasons)
    ctx.routed = True
    ctx.detail["to"] = case.handling_department.name if case.handling_department else case.handling_region.name


def default_dispatch_target(case: Case) -> tuple[Department | None, Region | None]:
    """Where a dispatch with no target sends the case: at street level, the department the routing
    suggested (or already has it); otherwise the unit the case is with."""
    if case.level in (Level.STREET, Level.DEPARTMENT):
        if case.handling_department_id:
            return case.handling_department, None
        suggestion = case.routings.order_by("-at", "-id").select_related("department").first()
        if suggestion is not None and suggestion.department_id:
            return suggestion.department, None
    return None, case.handling_region


def _sign(ctx: Context) -> None:
    ctx.case.handler = account(ctx.actor)


def _return(ctx: Context) -> None:
    case = ctx.case
    case.return_count += 1
    # Back to the dispatcher: the level that dispatched it decides again.
    if case.level == Level.DEPARTMENT:
        case.level, case.handling_department = Level.STREET, None
    case.handler = None


def _handle(ctx: Context) -> None:
    ctx.case.handler = ctx.case.handler or account(ctx.actor)


def _verify(ctx: Context) -> None:
    handler = ctx.case.handler
    if handler is not None and handler.role == Role.GRID_WORKER:
        points.award(case=ctx.case, event=PointEvent.VERIFIED, worker=handler, at=ctx.now)


def _rework(ctx: Context) -> None:
    ctx.case.rework_count += 1
    handler = ctx.case.handler
    if handler is not None and handler.role == Role.GRID_WORKER:
        points.award(case=ctx.case, event=PointEvent.REWORK, worker=handler, at=ctx.now)


def _solve_on_spot(ctx: Context) -> None:
    case = ctx.case
    if case.tier != "A":
        raise ValidationError({"matter": gettext("只有简易事项可以现场解决")})
    if not {PhotoKind.BEFORE, PhotoKind.AFTER} <= ctx.params["_photo_kinds"]:
        raise ValidationError({"photos": gettext("现场解决须上传处置前和处置后的照片")})
    case.solved_on_spot = True
    case.handler = account(ctx.actor)
    case.accepted_at = case.dispatched_at = case.signed_at = case.handled_at = case.verified_at = ctx.now
    points.award(case=case, event=PointEvent.SOLVED_ON_SPOT, worker=ctx.actor, at=ctx.now)


def _rate(ctx: Context, *, rating: str | None = None) -> None:
    case = ctx.case
    rating = rating or ctx.params.get("rating")
    if rating not in (Rating.SATISFIED, Rating.BASIC):
        raise ValidationError({"rating": "评价须为满意或基本满意；不满意时请选择重启事件"})
    case.rating, case.rating_note = rating, ctx.note[:500]
    if case.handler is not None and case.handler.role == Role.GRID_WORKER:
        points.award(case=case, event=PointEvent.SATISFIED, worker=case.handler, at=ctx.now)


def _rate_unsatisfied(ctx: Context) -> None:
    case = ctx.case
    case.rating, case.rating_note = Rating.UNSATISFIED, ctx.note[:500]
    if case.handler is not None and case.handler.role == Role.GRID_WORKER:
        points.award(case=case, event=PointEvent.UNSATISFIED, worker=case.handler, at=ctx.now)
    _reopen(ctx)


def _reopen(ctx: Context) -> None:
    case = ctx.case
    case.reopen_count += 1
    case.reopened_at = ctx.now
    case.handler = None
    clock.set_close_due(case, start=ctx.now, calendar=ctx.calendar, from_step="dispatch")


def _escalate(ctx: Context) -> None:
    case = ctx.case
    try:
        route = routing.escalation(case=case, reason=ctx.note or "处置超时，自动上报")
    except ValueError as exc:
        raise ValidationError({"level": str(exc)}) from None
    case.level, case.tier, case.handling_region = route.level, route.tier, route.region
    case.handling_department = route.department
    case.handler = None
    case.escalation_count += 1
    _record_route(case, at=ctx.now, actor=ctx.actor, reasons=route.reasons)
    ctx.routed = True
    ctx.detail["to_level"] = route.level


def _request_extension(ctx: Context) -> None:
    amount = str(ctx.params.get("amount") or "")
    try:
        Limit.parse(amount)
    except ValueError as exc:
        raise ValidationError({"amount": str(exc)}) from None
    if ctx.case.extensions.filter(status=RequestStatus.PENDING).exists():
        raise ValidationError({"amount": gettext("已有一项延期申请在等待审批")})
    ExtensionRequest.objects.create(case=ctx.case, requested_by=account(ctx.actor), requested_at=ctx.now, amount=amount, reason=ctx.note)
    clock.pause(ctx.case, now=ctx.now)
    ctx.detail["amount"] = amount


def _decide_extension(ctx: Context, *, approve: bool) -> None:
    request = ctx.case.extensions.select_for_update().filter(status=RequestStatus.PENDING).first()
    if request is None:
        raise ValidationError({"extension": gettext("没有待审批的延期申请")})
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.decided_by, request.decided_at, request.decision_note = account(ctx.actor), ctx.now, ctx.note[:200]
    request.save()
    extra = ctx.calendar.limit_seconds(Limit.parse(request.amount)) if approve else 0.0
    clock.resume(ctx.case, now=ctx.now, calendar=ctx.calendar, extra_seconds=extra)
    if approve:
        ctx.case.extension_count += 1
    ctx.detail.update(amount=request.amount, approved=approve)


def _hold(ctx: Context) -> None:
    clock.pause(ctx.case, now=ctx.now)
    ctx.restart_clock = False


def _release(ctx: Context) -> None:
    clock.resume(ctx.case, now=ctx.now, calendar=ctx.calendar)
    if ctx.case.extensions.filter(status=RequestStatus.PENDING).exists():
        clock.pause(ctx.case, now=ctx.now)  # still waiting for the extension decision
    ctx.restart_clock = False


def _summon_elsewhere(ctx: Context) -> None:
    raise ValidationError({"action": gettext("吹哨须指明被召集的单位或人员，请使用吹哨报到")})


def _mark_overdue(ctx: Context) -> None:
    case = ctx.case
    if case.step_due_at is None or case.paused_at is not None or case.step_due_at > ctx.now or case.step_overdue:
        raise ValidationError({"step_due_at": gettext("该事件当前环节尚未超时")})
    case.step_overdue = case.ever_overdue = True
    ctx.detail["step"] = case.step
    # The penalty goes to whoever held the late stage (stages.owner_of_stage), never to a grid worker
    # for a stage that was another unit's (the community's verification, say).
    for worker in stages.mark_late(case, now=ctx.now):
        points.award(case=case, event=PointEvent.OVERDUE, worker=worker, at=ctx.now)


APPLY = {
    "merge": _merge, "dispatch": _dispatch, "sign": _sign, "return": _return, "handle": _handle, "verify": _verify,
    "rework": _rework, "solve_on_spot": _solve_on_spot, "rate": _rate, "rate_unsatisfied": _rate_unsatisfied,
    "reopen": _reopen, "escalate": _escalate, "auto_escalate": _escalate, "request_extension": _request_extension,
    "approve_extension": lambda ctx: _decide_extension(ctx, approve=True),
    "refuse_extension": lambda ctx: _decide_extension(ctx, approve=False),
    "hold": _hold, "release": _release, "mark_overdue": _mark_overdue, "summon": _summon_elsewhere,
}


# Named actions: what views and the API call.
def do_accept_case(case, *, acting_user, note=""):
    return perform(case, "accept", acting_user=acting_user, note=note)


def do_reject_case(case, *, acting_user, reason):
    return perform(case, "reject", acting_user=acting_user, note=reason)


def do_merge_case(case, *, acting_user, original, note=""):
    return perform(case, "merge", acting_user=acting_user, note=note, original=original)


def do_dispatch_case(case, *, acting_user, department=None, region=None, note=""):
    return perform(case, "dispatch", acting_user=acting_user, note=note, department=department, region=region)


def do_sign_case(case, *, acting_user):
    return perform(case, "sign", acting_user=acting_user)


def do_return_case(case, *, acting_user, reason):
    return perform(case, "return", acting_user=acting_user, note=reason)


def do_handle_case(case, *, acting_user, note, photos=None):
    return perform(case, "handle", acting_user=acting_user, note=note, photos={PhotoKind.AFTER: photos} if photos else None)


def do_verify_case(case, *, acting_user, note=""):
    return perform(case, "verify", acting_user=acting_user, note=note)


def do_rework_case(case, *, acting_user, reason):
    return perform(case, "rework", acting_user=acting_user, note=reason)


def do_close_case(case, *, acting_user, note=""):
    return perform(case, "close", acting_user=acting_user, note=note)


def do_rate_case(case, *, rating, note="", acting_user=None, access_code=None, callback=False):
    """The resident's rating: given by the resident (access code, or their own account), or, with
    `callback=True`, recorded by a coordinator as the resident's answer on a follow-up call, the
    answer in `note`. Staff never rate on their own account, nor does anyone who handled the case."""
    action = "rate_unsatisfied" if rating == Rating.UNSATISFIED else "rate"
    if rating not in Rating.values:
        raise ValidationError({"rating": gettext("没有“%(rating)s”这种评价") % {"rating": rating}})
    return perform(case, action, acting_user=acting_user, access_code=access_code, note=note, rating=rating, callback=callback)


def do_reopen_case(case, *, reason, acting_user=None, access_code=None):
    return perform(case, "reopen", acting_user=acting_user, access_code=access_code, note=reason)


def do_escalate_case(case, *, acting_user, reason):
    return perform(case, "escalate", acting_user=acting_user, note=reason)


def do_request_extension(case, *, acting_user, amount, reason):
    return perform(case, "request_extension", acting_user=acting_user, note=reason, amount=amount)


def do_decide_extension(case, *, acting_user, approve, note=""):
    return perform(case, "approve_extension" if approve else "refuse_extension", acting_user=acting_user, note=note)


def do_hold_case(case, *, acting_user, reason):
    return perform(case, "hold", acting_user=acting_user, note=reason)


def do_release_case(case, *, acting_user, note=""):
    return perform(case, "release", acting_user=acting_user, note=note)


def do_supervise_case(case, *, acting_user, note, urge=False):
    return perform(case, "urge" if urge else "supervise", acting_user=acting_user, note=note)


# Summons (吹哨报到) ------------------------------------------------------------------------------

def do_summon(case, *, acting_user, reason: str, parts: list[dict], now: datetime | None = None) -> Summons:
    """Summon departments or grid members to a case; each part: {department|member, task, checkin_hours}."""
    now = now or timezone.now()
    if not parts:
        raise ValidationError({"parts": gettext("请至少召集一个部门或一名人员")})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        transition = transition_for(locked.status, "summon")
        if not may_act(acting_user, locked, transition):
            raise PermissionDenied(gettext("只有事件所在街道或社区的工作人员可以吹哨"))
        if not reason.strip():
            raise ValidationError({"reason": gettext("请写明吹哨的事由")})
        summoner_region = acting_user.scope_region or locked.handling_region
        summons = Summons.objects.create(case=locked, region=summoner_region, summoned_by=acting_user, reason=reason, created_at=now)
        calendar = work_calendar.current()
        for i, part in enumerate(parts, start=1):
            if not part.get("task"):
                raise ValidationError({f"parts[{i}].task": gettext("请为每个被召集方写明任务")})
            if not part.get("department") and not part.get("member"):
                raise ValidationError({f"parts[{i}]": gettext("请选择部门或人员")})
            # The same parties the summons form offers: departments serving the case, people in the summoner's scope.
            department, member = part.get("department"), part.get("member")
            if department is not None and not selectors.dispatch_departments(locked).filter(pk=getattr(department, "pk", department)).exists():
                raise ValidationError({f"parts[{i}].department": gettext("%(department)s 的服务区域不含事件所在的%(grid)s，不能吹哨报到") % {
                    "department": getattr(department, "name", department), "grid": locked.region.name}})
            if member is not None and not selectors.summonable_members(acting_user).filter(pk=getattr(member, "pk", member)).exists():
                raise ValidationError({f"parts[{i}].member": gettext("只能召集您管辖范围内的工作人员")})
            hours = float(part.get("checkin_hours") or 2)
            if not 0 < hours <= 720:
                raise ValidationError({f"parts[{i}].checkin_hours": gettext("报到时限应在0至720个工作小时之间")})
            SummonsPart.objects.create(summons=summons, department=part.get("department"), member=part.get("member"), task=part["task"],
                                       checkin_due_at=calendar.add_working_seconds(now, hours * 3600))
        event = _event(locked, "summon", locked.status, locked.status, actor=acting_user, note=reason, at=now, public=False,
                       detail={"summons": summons.pk, "parts": len(parts)}, label=_label(acting_user))
        _queue_notifications(locked, event)
    return summons


def _part_party(user, part: SummonsPart) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if part.member_id == user.pk:
        return True
    return part.department_id is not None and user.departments.filter(pk=part.department_id).exists()


def do_check_in(part: SummonsPart, *, acting_user, now: datetime | None = None) -> SummonsPart:
    now = now or timezone.now()
    with transaction.atomic():
        part = SummonsPart.objects.select_for_update().select_related("summons").get(pk=part.pk)
        if not _part_party(acting_user, part):
            raise PermissionDenied(gettext("只有被召集的单位或人员可以报到"))
        if part.checked_in_at is not None:
            raise ValidationError({"checked_in_at": gettext("已经报到")})
        part.checked_in_at, part.checked_in_by = now, acting_user
        part.save()
    return part


def do_finish_part(part: SummonsPart, *, acting_user, result: str, rating_of_summoner: int, now: datetime | None = None) -> SummonsPart:
    now = now or timezone.now()
    _check_stars(rating_of_summoner, "rating_of_summoner")
    with transaction.atomic():
        Summons.objects.select_for_update().filter(parts=part.pk).first()  # the last two parts finishing together
        part = SummonsPart.objects.select_for_update().select_related("summons").get(pk=part.pk)
        if not _part_party(acting_user, part):
            raise PermissionDenied(gettext("只有被召集的单位或人员可以报告完成"))
        if part.checked_in_at is None:
            raise ValidationError({"checked_in_at": gettext("请先报到，再报告完成")})
        if part.done_at is not None:
            raise ValidationError({"done_at": gettext("这项任务已经完成")})
        if not result.strip():
            raise ValidationError({"result": gettext("请写明办理结果")})
        part.done_at, part.result, part.rating_of_summoner = now, result.strip(), rating_of_summoner
        part.save()
        _maybe_close_summons(part.summons, now=now)
    return part


def do_rate_participant(part: SummonsPart, *, acting_user, stars: int) -> SummonsPart:
    _check_stars(stars, "rating_of_participant")
    with transaction.atomic():
        Summons.objects.select_for_update().filter(parts=part.pk).first()
        part = SummonsPart.objects.select_for_update().select_related("summons").get(pk=part.pk)
        if part.summons.summoned_by_id != getattr(acting_user, "pk", None) and not is_coordinator(acting_user, part.summons.case):
            raise PermissionDenied(gettext("只有发起召集的一方可以评价参与方"))
        if part.done_at is None:
            raise ValidationError({"done_at": gettext("参与方完成任务后才能评价")})
        part.rating_of_participant = stars
        part.save()
        _maybe_close_summons(part.summons, now=timezone.now())
    return part


def _maybe_close_summons(summons: Summons, *, now: datetime) -> None:
    """A summons closes when every part is done and rated both ways."""
    parts = list(summons.parts.all())
    if summons.status == SummonsStatus.OPEN and all(p.done_at and p.rating_of_participant and p.rating_of_summoner for p in parts):
        summons.status, summons.closed_at = SummonsStatus.CLOSED, now
        summons.save(update_fields=["status", "closed_at"])


def _check_stars(value, field_name: str) -> None:
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({field_name: gettext("请给1至5星")})


# Shared pieces -----------------------------------------------------------------------------------

def _record_route(case: Case, *, at: datetime, actor, reasons: list[str], department: Department | None = None,
                  who: str | None = None, skip_rule=None, copies: list[Region] = ()) -> RoutingDecision:
    """Store where the case goes and why, including the person the unit's desk puts on it (A, or B
    while A is on leave). `department` is the suggestion when the case itself has none yet."""
    who = ab_acting.assign(case, at=at) if who is None else who
    decision = RoutingDecision.objects.create(case=case, at=at, decided_by=account(actor), matter_version=case.matter_version,
                                              tier=case.tier, level=case.level, region=case.handling_region,
                                              department=department or case.handling_department, skip_rule=skip_rule,
                                              reasons=[*reasons, who] if who else reasons)
    if copies:
        decision.copied_to.set(copies)
    return decision


def _event(case: Case, action: str, before: str, after: str, *, actor, note: str, at: datetime, public: bool = True,
           detail: dict | None = None, label: str = "", actor_role: str | None = None) -> CaseEvent:
    actor = account(actor)
    role = ab_acting.role_of(actor, case) if actor_role is None else actor_role
    return CaseEvent.objects.create(case=case, at=at, actor=actor, actor_label=label[:100], actor_role=role, action=action,
                                    from_status=before, to_status=after, note=note, public=public, detail=detail or {})


def _save_photos(case: Case, event: CaseEvent, photos: list[CheckedPhoto], kind: str) -> None:
    for i, photo in enumerate(photos, start=1):
        record = CasePhoto(case=case, event=event, kind=kind, content_type=photo.content_type, size=len(photo.content))
        record.image.save(f"{case.pk}-{event.pk}-{kind}-{i}.{photo.extension}", ContentFile(photo.content), save=False)
        if photo.thumbnail:
            record.thumbnail.save(f"{case.pk}-{event.pk}-{kind}-{i}-thumb.{photo.extension}", ContentFile(photo.thumbnail), save=False)
        record.save()


def _queue_notifications(case: Case, event: CaseEvent) -> None:
    """Queue the notifications inside the transaction (`notices.announce`): the task row commits with
    the case (or not at all), so a crash right after COMMIT cannot lose them."""
    notices.announce(event)


def duplicates_near(*, matter: MatterType, lon: float, lat: float, now: datetime | None = None, radius_m: float | None = None,
                    window_hours: float | None = None, exclude: int | None = None) -> list[Case]:
    """Open cases of the same matter within the radius and time window, nearest first."""
    from django.conf import settings

    from yiwang.regions.geometry import haversine_m

    now = now or timezone.now()
    radius_m = settings.YIWANG_DUPLICATE_RADIUS_M if radius_m is None else radius_m
    window = timedelta(hours=settings.YIWANG_DUPLICATE_WINDOW_HOURS if window_hours is None else window_hours)
    degrees = radius_m / 111_000 * 1.5
    candidates = (Case.objects.open().filter(matter=matter, reported_at__gte=now - window, lon__isnull=False,
                                             lon__range=(lon - degrees * 2, lon + degrees * 2), lat__range=(lat - degrees, lat + degrees))
                  .exclude(pk=exclude).select_related("region"))
    near = [(haversine_m(lon, lat, c.lon, c.lat), c) for c in candidates]
    return [c for d, c in sorted(near, key=lambda pair: pair[0]) if d <= radius_m]
