"""The case API: intake, reading, actions, inbox, summonses, device alerts."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import DEFAULT_PAGE_SIZE, Count, Finite, Page, PageLimit, PageOffset, Year
from yiwang.api.fields import RegionCode
from yiwang.matters.models import Department
from yiwang.matters.services import find_matter
from yiwang.regions.models import Region

from . import iot, selectors, services
from .lifecycle import ACTIONS
from .models import Case, Channel, DeviceSource, SummonsPart
from .models import Status as CaseStatus

router = Router(tags=["cases"])


class CaseOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    channel: str
    matter_code: str
    matter_name: str
    board: str
    tier: str
    level: str
    urgency: str
    grid_code: str
    handling: str
    lon: float | None
    lat: float | None
    address: str
    description: str
    reporter_phone_masked: str
    reported_at: datetime
    step: str
    step_due_at: datetime | None
    step_overdue: bool
    close_due_at: datetime | None
    closed_at: datetime | None
    rating: str
    deadline_note: str

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_matter_code(obj):
        return obj.matter.service_code

    @staticmethod
    def resolve_matter_name(obj):
        return obj.matter.name

    @staticmethod
    def resolve_grid_code(obj):
        return obj.region.code

    @staticmethod
    def resolve_handling(obj):
        return obj.handling_department.name if obj.handling_department_id else obj.handling_region.name

    @staticmethod
    def resolve_reporter_phone_masked(obj):
        return obj.phone_masked if obj.phone_sealed else ""


class EventOut(Schema):
    at: datetime
    action: str
    from_status: str
    to_status: str
    actor: str
    note: str
    public: bool
    detail: dict

    @staticmethod
    def resolve_actor(obj):
        return obj.actor_label


class RoutingOut(Schema):
    at: datetime
    tier: str
    level: str
    region_code: RegionCode
    department: str | None
    matter_version: int
    reasons: list[str]
    skip_rule: str | None
    copied_to: list[str]

    @staticmethod
    def resolve_department(obj):
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_skip_rule(obj):
        return obj.skip_rule.name if obj.skip_rule_id else None

    @staticmethod
    def resolve_copied_to(obj):
        return [region.code for region in obj.copied_to.all()]

    @staticmethod
    def resolve_matter_version(obj):
        return obj.matter_version.number


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    routings: list[RoutingOut]
    photos: list[str]

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.all())

    @staticmethod
    def resolve_routings(obj):
        return list(obj.routings.select_related("region", "department", "matter_version", "skip_rule").prefetch_related("copied_to"))

    @staticmethod
    def resolve_photos(obj):
        from django.urls import reverse

        return [reverse("case-photo", args=[p.pk]) for p in obj.photos.all()]


class CaseIn(Schema):
    matter: str  # a service code ("event-06010") or a bare code when unique ("S0004")
    description: str = ""
    lon: Finite | None = None
    lat: Finite | None = None
    crs: str = "wgs84"
    grid: str | None = None  # a grid code, when there is no position
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    attributes: dict = {}
    urgency: str = "normal"
    channel: str = Channel.DESK


class IntakeOut(Schema):
    number: str
    status: str
    access_code: str
    grid_code: str
    tier: str
    level: str
    handling: str
    step_due_at: datetime | None


class ActionIn(Schema):
    note: str = ""
    public: bool | None = None  # None: the action's default (docs/case-lifecycle.md)
    rating: str | None = None
    department: str | None = None  # department code
    region: str | None = None  # region code
    amount: str | None = None  # extension, e.g. "2d"
    original: str | None = None  # merge: the original case number
    access_code: str | None = None
    # rate: a coordinator records the resident's answer on a follow-up call (the answer in `note`).
    callback: bool = False


def _intake_out(intake: services.Intake) -> dict:
    case = intake.case
    return {"number": case.number, "status": case.status, "access_code": intake.access_code, "grid_code": case.region.code, "tier": case.tier,
            "level": case.level, "handling": case.handling_department.name if case.handling_department_id else case.handling_region.name,
            "step_due_at": case.step_due_at}


@router.post("", response={201: IntakeOut})
def create_case(request, payload: CaseIn):
    """Report a case for staff channels (grid worker, desk, hotline). Residents use /report/ or Open311."""
    user = acting_user(request)
    # Which role may file on which channel, and a grid worker's own area: the intake service decides.
    grid = None
    if payload.grid:
        grid = Region.objects.restrict(user).filter(code=payload.grid).first()
        if grid is None:
            raise ValidationError({"grid": gettext("没有网格“%(grid)s”") % {"grid": payload.grid}})
    report = services.Report(channel=payload.channel, matter=find_matter(payload.matter), description=payload.description, lon=payload.lon,
                             lat=payload.lat, crs=payload.crs, grid=grid, address=payload.address, reporter_name=payload.reporter_name,
                             reporter_phone=payload.reporter_phone, attributes=payload.attributes, urgency=payload.urgency)
    return Status(201, _intake_out(services.report_case(report, acting_user=user)))


@router.get("", response=list[CaseOut])
@paginate(Page)
def list_cases(request, region: str | None = None, status: str | None = None, matter: str | None = None, overdue: bool | None = None,
               state: str = "", board: str = "", since: str = "", until: str = "", department: str = "", handler: str = ""):
    """The caller's cases, newest first, narrowed as the /cases/ page narrows them (the same selector,
    cases.selectors.filter_cases): `region` (a code: its subtree, a micro-grid its cases), `board`,
    `matter` (an id or a matter code), `since`/`until` (report dates, both included), `state`
    (cases.states: open, overdue, closed, on_time, late, …), `department`, `handler`, and `status`
    (comma-separated). `overdue=true` is `state=overdue`, `overdue=false` its complement among the
    open cases. A bad value is a 422 naming the parameter."""
    user = acting_user(request)
    qs = scoped(request, Case).select_related("matter", "region", "handling_region", "handling_department")
    query = _list_query(user, region=region, matter=matter, since=since, until=until, department=department, handler=handler)
    if status:
        statuses = [s.strip() for s in status.split(",") if s.strip()]
        unknown = [s for s in statuses if s not in CaseStatus.values]
        if unknown:
            raise ValidationError({"status": gettext("没有“%(status)s”这个状态") % {"status": unknown[0][:20]}})
        qs = qs.filter(status__in=statuses)
    qs = selectors.filter_cases(qs, board=board.strip(), state=state.strip(), **query)
    if overdue is not None:
        from .states import condition

        now = timezone.now()
        qs = qs.filter(condition("overdue", now)) if overdue else qs.filter(condition("open", now)).exclude(condition("overdue", now))
    return qs.order_by("-reported_at", "-id")


def _list_query(user, *, region, matter, since, until, department, handler) -> dict:
    """The list's narrowing parameters read and checked, every bad one named at once."""
    from datetime import date

    from yiwang.api.params import MAX_DATE, MIN_DATE

    errors: dict[str, str] = {}
    query: dict = {}
    if region:
        query["region"] = Region.objects.restrict(user).filter(code=region.strip()[:32]).first()
        if query["region"] is None:
            errors["region"] = gettext("您的范围内没有编码为“%(value)s”的区域") % {"value": region.strip()[:32]}
    if matter:
        matter = matter.strip()
        if matter.isascii() and matter.isdigit():
            if not 0 < int(matter) < 2**31:
                errors["matter"] = gettext("事项应从列表中选择")
            else:
                query["matter"] = int(matter)
        else:
            try:
                query["matter"] = find_matter(matter).pk
            except ValidationError:
                errors["matter"] = gettext("没有编码为“%(value)s”的事项") % {"value": matter[:40]}
    for name, value in (("since", since), ("until", until)):
        if value.strip():
            try:
                day = date.fromisoformat(value.strip())
                if not MIN_DATE <= day <= MAX_DATE:
                    raise ValueError(name)
                query[name] = day
            except ValueError:
                errors[name] = gettext("日期格式应为“年-月-日”，如 2026-03-01")
    for name, value in (("department", department), ("handler", handler)):
        if value.strip():
            if value.strip().isascii() and value.strip().isdigit() and 0 < int(value) < 2**31:
                query[name] = int(value)
            else:
                errors[name] = gettext("应为编号（正整数）")
    if errors:
        raise ValidationError(errors)
    return query


class InboxTabOut(Schema):
    step: str
    label: str
    count: int


class InboxOut(Schema):
    tabs: list[InboxTabOut]
    step: str
    count: int
    items: list[CaseOut]


@router.get("/inbox", response=InboxOut)
def my_inbox(request, step: str = "", grid: str = "", matter: str = "", light: str = "", age: str = "", sort: str = "",
             limit: PageLimit = DEFAULT_PAGE_SIZE, offset: PageOffset = 0):
    """What the caller must act on next: the tabs by step with their counts (the filters applied), and
    one tab's cases (all steps when none is named), as on the inbox page."""
    user = acting_user(request)
    query, errors = selectors.read_inbox_query(user, {"step": step, "grid": grid, "matter": matter, "light": light, "age": age, "sort": sort})
    if errors:
        raise ValidationError(errors)
    counts = selectors.inbox_counts(user, query)
    tabs = [{"step": selectors.ALL_STEPS, "label": gettext("全部"), "count": counts[selectors.ALL_STEPS]}]
    tabs += [{"step": key, "label": label, "count": counts[key]} for key, label in selectors.inbox_steps() if key in counts]
    return {"tabs": tabs, "step": query.step, "count": counts.get(query.step, 0),
            "items": list(selectors.inbox(user, query)[offset:offset + limit])}


@router.get("/indicators", response=dict)
def case_indicators(request, region: str | None = None, by: str | None = None, start: datetime | None = None, end: datetime | None = None,
                    matter: str | None = None, board: str | None = None):
    """Indicators (docs/indicators.md) over the caller's cases reported in [start, end), optionally
    broken down by region (the children of `region`), department, matter, board or worker."""
    from . import indicators as ind

    cases = under_region(scoped(request, Case), region)
    if matter:
        cases = cases.filter(matter=find_matter(matter))
    if board:
        cases = cases.filter(board=board)
    body = {"total": ind.indicators(cases, start=start, end=end).as_dict()}
    if by:
        if by not in {"region", "department", "matter", "board", "worker"}:
            raise ValidationError({"by": gettext("可选 region、department、matter、board 或 worker")})
        parent = Region.objects.restrict(acting_user(request)).filter(code=region).first() if region else acting_user(request).scope_region
        if by == "region" and parent is None:
            raise ValidationError({"region": gettext("请指明要比较其下级的区域")})
        rows = ind.breakdown(cases, by=by, parent=parent, start=start, end=end)
        body["rows"] = [{"key": str(row.key) if row.key is not None else None, "label": row.label, **row.indicators.as_dict()} for row in rows]
    return body


@router.get("/{number}", response=CaseDetailOut)
def get_case(request, number: str):
    return get_scoped(request, Case, number=number)


@router.get("/{number}/duplicates", response=list[CaseOut])
def case_duplicates(request, number: str):
    case = get_scoped(request, Case, number=number)
    if case.lon is None:
        return []
    near = services.duplicates_near(matter=case.matter, lon=case.lon, lat=case.lat, exclude=case.pk)
    visible = set(scoped(request, Case).filter(pk__in=[c.pk for c in near]).values_list("pk", flat=True))
    return [c for c in near if c.pk in visible]


@router.post("/{number}/actions/{action}", response=CaseOut)
def act(request, number: str, action: str, payload: ActionIn):
    """Take one action of the transition table (docs/case-lifecycle.md) on a case in your scope."""
    if action not in ACTIONS:
        raise ValidationError({"action": gettext("没有“%(action)s”这项操作") % {"action": action}})
    case = get_scoped(request, Case, number=number)
    params = {}
    # Unknown codes are the field's error; whether a known one may be chosen is the service's rule.
    if payload.department:
        params["department"] = Department.objects.filter(code=payload.department).first()
        if params["department"] is None:
            raise ValidationError({"department": gettext("没有部门“%(department)s”") % {"department": payload.department}})
    if payload.region:
        params["region"] = Region.objects.filter(code=payload.region).first()
        if params["region"] is None:
            raise ValidationError({"region": gettext("没有区域“%(region)s”") % {"region": payload.region}})
    if payload.original:
        params["original"] = get_scoped(request, Case, number=payload.original)
    if payload.amount:
        params["amount"] = payload.amount
    if action in ("rate", "rate_unsatisfied"):
        return services.do_rate_case(case, rating=payload.rating or "", note=payload.note, acting_user=acting_user(request), access_code=payload.access_code,
                                     callback=payload.callback)
    return services.perform(case, action, acting_user=acting_user(request), note=payload.note, public=payload.public,
                            access_code=payload.access_code, **params)


class SummonsPartIn(Schema):
    department: str | None = None  # department code
    member: str | None = None  # username
    task: str
    checkin_hours: Finite = 2


class SummonsIn(Schema):
    reason: str
    parts: list[SummonsPartIn]


class SummonsPartOut(Schema):
    id: int
    party: str
    task: str
    checkin_due_at: datetime
    checked_in_at: datetime | None
    done_at: datetime | None
    result: str
    rating_of_participant: int | None
    rating_of_summoner: int | None

    @staticmethod
    def resolve_party(obj):
        return obj.party_label


@router.post("/{number}/summons", response={201: list[SummonsPartOut]})
def summon(request, number: str, payload: SummonsIn):
    case = get_scoped(request, Case, number=number)
    user = acting_user(request)
    parts = []
    for i, part in enumerate(payload.parts, start=1):
        department = Department.objects.filter(code=part.department).first() if part.department else None
        if part.department and department is None:
            raise ValidationError({f"parts[{i}].department": gettext("没有部门“%(department)s”") % {"department": part.department}})
        # Looked up among the people the caller may summon, so that no one else is confirmed to exist.
        member = selectors.summonable_members(user).filter(username=part.member).first() if part.member else None
        if part.member and member is None:
            raise ValidationError({f"parts[{i}].member": gettext("只能召集您管辖范围内的工作人员")})
        parts.append({"department": department, "member": member, "task": part.task, "checkin_hours": part.checkin_hours})
    summons = services.do_summon(case, acting_user=acting_user(request), reason=payload.reason, parts=parts)
    return Status(201, list(summons.parts.select_related("department", "member")))


class PartActionIn(Schema):
    result: str = ""
    stars: Count | None = None


@router.post("/summons/parts/{part_id}/{step}", response=SummonsPartOut)
def summons_part_step(request, part_id: int, step: str, payload: PartActionIn):
    """check-in, done (with result and stars for the summoner) or rate (stars for the participant)."""
    part = get_object_or_404(SummonsPart, pk=part_id)
    user = acting_user(request)
    if step == "check-in":
        return services.do_check_in(part, acting_user=user)
    if step == "done":
        return services.do_finish_part(part, acting_user=user, result=payload.result, rating_of_summoner=payload.stars)
    if step == "rate":
        return services.do_rate_participant(part, acting_user=user, stars=payload.stars)
    raise ValidationError({"step": gettext("可选 check-in、done 或 rate")})


@router.get("/summons/yearly", response=list[dict])
def summons_yearly(request, year: Year | None = None):
    """Answered summonses per unit and year; alliance units below two are flagged."""
    return selectors.yearly_summons_counts(scoped(request, SummonsPart), year=year)


device_router = Router(tags=["devices"])


@device_router.post("/{source}", auth=None, response={201: dict, 200: dict})
def device_alert(request, source: str):
    """IoT webhook: one alert in the common shape {"device_id", "alert_type", "time", "location"?}
    (docs/case-lifecycle.md), signed as yiwang.cases.iot.sign."""
    platform = DeviceSource.objects.filter(name=source, active=True).first()
    if platform is None:
        raise PermissionDenied(gettext("没有这个物联网平台"))
    body = request.body
    iot.verify(platform, timestamp=request.headers.get(iot.TIMESTAMP_HEADER, ""), signature=request.headers.get(iot.SIGNATURE_HEADER, ""), body=body)
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationError({"body": gettext("请求内容不是JSON")}) from None
    if not isinstance(payload, dict):
        raise ValidationError({"body": gettext("请求内容应为一个JSON对象（一条告警）")})
    alert, opened = iot.receive(platform, payload)
    return Status(201 if opened else 200, {"case": alert.case.number, "opened": opened, "alert": alert.pk})
