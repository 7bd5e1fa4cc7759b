"""The grid-work API: patrols, home visits and their findings (list, read, record), key-person care
plans (list, set, end), coverage per grid and the overdue list. Everything is read within the
caller's scope; care plans set above the caller's scope are listed too, since they apply to it."""


from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.accounts.addresses import client_address
from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Count, Day, Finite, Id, IdQuery, Moment, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action, Role, scope_path
from yiwang.matters.models import MatterType
from yiwang.regions.models import Region
from yiwang.registry import access
from yiwang.registry.models import Building, Household, Person, Place

from . import counters, selectors, services
from .models import CarePlan, Finding, HomeVisit, PatrolLog

router = Router(tags=["gridwork"])


class FindingOut(Schema):
    id: int
    row: int
    description: str
    region_code: RegionCode
    record: str  # "patrol" or "visit"
    record_id: int
    case_number: str | None

    @staticmethod
    def resolve_record(obj):
        return "patrol" if obj.patrol_id else "visit"

    @staticmethod
    def resolve_record_id(obj):
        return obj.patrol_id or obj.visit_id

    @staticmethod
    def resolve_case_number(obj):
        return obj.case.number if obj.case_id else None


class RecordOut(Schema):
    id: int
    region_code: RegionCode
    region_name: str
    worker: str | None
    worker_name: str
    at: datetime
    summary: str
    building_id: int | None
    place_id: int | None
    lon: float | None
    lat: float | None
    recorded_by: str | None
    recorded_at: datetime
    findings: list[FindingOut]

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_worker(obj):
        return obj.worker.username if obj.worker_id else None

    @staticmethod
    def resolve_recorded_by(obj):
        return obj.recorded_by.username if obj.recorded_by_id else None

    @staticmethod
    def resolve_findings(obj):
        return list(obj.findings.all())


class PatrolOut(RecordOut):
    ended_at: datetime | None
    route: str


class VisitOut(RecordOut):
    household_id: int | None
    person_ids: list[int]

    @staticmethod
    def resolve_person_ids(obj):
        return sorted(p.pk for p in obj.persons.all())


class FindingIn(Schema):
    description: str
    matter: Id | None = None  # matter type id: open a case
    urgency: str = "normal"


class RecordIn(Schema):
    at: Moment | None = None  # default: now
    summary: str
    region: str | None = None  # grid or micro-grid code; default: where the first named object is
    worker: str | None = None  # username; default: the caller
    building: Id | None = None
    place: Id | None = None
    lon: Finite | None = None
    lat: Finite | None = None
    findings: list[FindingIn] = []


class PatrolIn(RecordIn):
    ended_at: datetime | None = None
    route: str = ""


class VisitIn(RecordIn):
    household: int | None = None
    persons: list[int] = []


class PlanOut(Schema):
    id: int
    region_code: RegionCode
    region_name: str
    group: str
    group_label: str
    frequency_days: int
    frequency_label: str
    starts_on: date
    ends_on: date | None
    active: bool
    note: str

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_group_label(obj):
        return obj.get_group_display()


class PlanIn(Schema):
    region: str  # code of a district, street or community
    group: str
    frequency_days: Count
    starts_on: Day | None = None
    note: str = ""


class GridCoverageOut(Schema):
    grid_code: str
    grid_name: str
    under_plan: int
    covered: int
    pending: int
    overdue: int
    rate: float | None
    workers: list[str]


class CoverageOut(Schema):
    today: date
    under_plan: int
    covered: int
    pending: int
    overdue: int
    rate: float | None
    grids: list[GridCoverageOut]


class OverdueOut(Schema):
    person_id: int
    person_name: str
    groups: list[str]
    grid_code: str | None
    grid_name: str | None
    workers: list[str]
    frequency_days: int
    last_visit_on: date | None
    overdue_since: date
    days_overdue: int


def _patrols(queryset):
    return queryset.select_related("region", "worker", "recorded_by").prefetch_related("findings__case", "findings__region")


def _visits(queryset):
    return _patrols(queryset).prefetch_related("persons")


def _in_time(queryset, since, until):
    if since:
        queryset = queryset.filter(at__gte=since)
    if until:
        queryset = queryset.filter(at__lt=until)
    return queryset


def _one(model, pk, field, user, action=Action.VIEW):
    if pk is None:
        return None
    obj = model.objects.restrict(user, action).filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: f"没有编号为 {pk} 的{model._meta.verbose_name}，或不在您的数据范围内"})
    return obj


def _common(request, payload: RecordIn) -> dict:
    user = acting_user(request)
    region = None
    if payload.region:
        region = Region.objects.restrict(user).filter(code=payload.region).first()
        if region is None:
            raise ValidationError({"region": f"没有区域 {payload.region!r}，或不在您的数据范围内"})
    worker = None
    if payload.worker:
        # Looked up in the caller's scope: a name outside it is "no such user", like an unknown one.
        worker = get_user_model().objects.restrict(user).filter(username=payload.worker, is_active=True).first()
        if worker is None:
            raise ValidationError({"worker": f"没有用户 {payload.worker!r}"})
    findings = []
    for number, row in enumerate(payload.findings, start=1):
        matter = None
        if row.matter is not None:
            matter = MatterType.objects.filter(pk=row.matter).first()
            if matter is None:
                raise ValidationError({f"findings[{number}].matter": f"第{number}个问题：没有事项 {row.matter}"})
        findings.append(services.FindingInput(description=row.description, matter=matter, urgency=row.urgency))
    at = payload.at or timezone.now()
    return {"acting_user": user, "at": at if timezone.is_aware(at) else timezone.make_aware(at), "summary": payload.summary,
            "region": region, "worker": worker, "building": _one(Building, payload.building, "building", user),
            "place": _one(Place, payload.place, "place", user), "lon": payload.lon, "lat": payload.lat, "findings": findings}


@router.get("/patrols", response=list[PatrolOut])
@paginate(Page)
def list_patrols(request, region: str | None = None, worker: str | None = None, since: datetime | None = None, until: datetime | None = None):
    patrols = _in_time(under_region(scoped(request, PatrolLog), region), since, until)
    if worker:
        patrols = patrols.filter(worker__username=worker)
    return _patrols(patrols)


@router.get("/patrols/{int:patrol_id}", response=PatrolOut)
def get_patrol(request, patrol_id: int):
    return _patrols(PatrolLog.objects.filter(pk=get_scoped(request, PatrolLog, pk=patrol_id).pk)).get()


@router.post("/patrols", response={201: PatrolOut})
def record_patrol(request, payload: PatrolIn):
    """Record a patrol; each finding with a `matter` opens a case, all or nothing."""
    values = _common(request, payload)
    ended_at = payload.ended_at
    if ended_at is not None and timezone.is_naive(ended_at):
        ended_at = timezone.make_aware(ended_at)
    patrol = services.record_patrol(**values, ended_at=ended_at, route=payload.route)
    return Status(201, _patrols(PatrolLog.objects.filter(pk=patrol.pk)).get())


@router.get("/visits", response=list[VisitOut])
@paginate(Page)
def list_visits(request, region: str | None = None, worker: str | None = None, person: int | None = IdQuery(),
                since: datetime | None = None, until: datetime | None = None):
    visits = _in_time(under_region(scoped(request, HomeVisit), region), since, until)
    if worker:
        visits = visits.filter(worker__username=worker)
    if person:
        visits = visits.filter(persons__id=person)
        access.log_person_views(user=acting_user(request), persons=Person.objects.restrict(acting_user(request)).filter(pk=person),
                                channel="api", remote_addr=client_address(request))
    return _visits(visits)


@router.get("/visits/{int:visit_id}", response=VisitOut)
def get_visit(request, visit_id: int):
    visit = _visits(HomeVisit.objects.filter(pk=get_scoped(request, HomeVisit, pk=visit_id).pk)).get()
    access.log_person_views(user=acting_user(request), persons=visit.persons.all(), channel="api",
                            remote_addr=client_address(request))
    return visit


@router.post("/visits", response={201: VisitOut})
def record_visit(request, payload: VisitIn):
    """Record a home visit; persons in a key group count it as a care visit; each finding with a
    `matter` opens a case, all or nothing."""
    values = _common(request, payload)
    user = values["acting_user"]
    persons = [_one(Person, pk, f"persons[{number}]", user) for number, pk in enumerate(payload.persons, start=1)]
    visit = services.record_visit(**values, household=_one(Household, payload.household, "household", user), persons=persons)
    return Status(201, _visits(HomeVisit.objects.filter(pk=visit.pk)).get())


@router.get("/findings", response=list[FindingOut])
@paginate(Page)
def list_findings(request, region: str | None = None, with_case: bool | None = None):
    findings = under_region(scoped(request, Finding), region)
    if with_case is not None:
        findings = findings.filter(case__isnull=not with_case)
    return findings.select_related("region", "case").order_by("-id")


@router.get("/care/plans", response=list[PlanOut])
@paginate(Page)
def list_plans(request, active: bool | None = True, group: str | None = None):
    """Plans that apply to the caller's scope (set above it) and plans set inside it."""
    plans = selectors.plans_visible_to(acting_user(request))
    if active is not None:
        plans = plans.filter(active=active)
    if group:
        plans = plans.filter(group=group)
    return plans


@router.post("/care/plans", response={201: PlanOut})
def set_plan(request, payload: PlanIn):
    """Put a plan in force for a key group in a district, street or community (replacing the one
    in force there for that group)."""
    user = acting_user(request)
    if not user.is_superuser and user.role not in services.PLAN_SETTING_ROLES:
        raise PermissionDenied(gettext("只有社区、街道和区级工作人员可以设置关爱计划"))
    region = Region.objects.restrict(user, Action.CHANGE).filter(code=payload.region).first()
    if region is None:
        raise ValidationError({"region": f"没有区域 {payload.region!r}，或不在您的数据范围内"})
    plan = services.set_care_plan(acting_user=user, region=region, group=payload.group, frequency_days=payload.frequency_days,
                                  starts_on=payload.starts_on, note=payload.note)
    return Status(201, CarePlan.objects.select_related("region").get(pk=plan.pk))


@router.post("/care/plans/{int:plan_id}/end", response=PlanOut)
def end_plan(request, plan_id: int):
    plan = get_scoped(request, CarePlan, Action.CHANGE, pk=plan_id)
    return services.end_care_plan(plan, acting_user=acting_user(request))


def _care_scope(request, region: str | None) -> str:
    """The region path to compute care for: the caller's scope, or a region inside it."""
    user = acting_user(request)
    prefix = scope_path(user)
    if prefix is None or (not user.is_superuser and user.role == Role.RESIDENT):
        raise PermissionDenied(gettext("这项操作超出了您的权限或数据范围"))
    if not region:
        return prefix
    path = Region.objects.restrict(user).filter(code=region).values_list("path", flat=True).first()
    if path is None:
        raise ValidationError({"region": f"没有区域 {region!r}，或不在您的数据范围内"})
    return path


@router.get("/care/coverage", response=CoverageOut)
def care_coverage(request, region: str | None = None):
    """重点对象关注覆盖率 per grid: persons visited within their plan's window / persons under a plan."""
    path = _care_scope(request, region)
    total, grids = counters.coverage(path, viewer=acting_user(request))
    return {"today": timezone.localdate(), **{k: total[k] for k in ("under_plan", "covered", "pending", "overdue", "rate")},
            "grids": [{"grid_code": g.grid.code, "grid_name": g.grid.name, "under_plan": g.under_plan, "covered": g.covered,
                       "pending": g.pending, "overdue": g.overdue, "rate": g.rate, "workers": g.workers} for g in grids]}


@router.get("/care/overdue", response=list[OverdueOut])
@paginate(Page)
def care_overdue(request, region: str | None = None):
    """Persons overdue for a care visit, longest overdue first, with their grid and its grid workers."""
    path = _care_scope(request, region)
    late = selectors.overdue(selectors.care_rows(region_path=path, viewer=acting_user(request)))
    workers = selectors.grid_worker_names({r.grid.pk: r.grid for r in late if r.grid}.values())
    return [{"person_id": r.person_id, "person_name": r.person_name, "groups": r.groups, "grid_code": r.grid.code if r.grid else None,
             "grid_name": r.grid.name if r.grid else None, "workers": workers.get(r.grid.pk, []) if r.grid else [],
             "frequency_days": r.plan.frequency_days, "last_visit_on": r.last_visit_on, "overdue_since": r.due_on,
             "days_overdue": r.days_overdue} for r in late]
