"""The links API: links with their cadence, visits, the links that missed their cadence, the
regions nobody is linked to; creating and ending links and recording visits. Everything is read
within the caller's scope."""


from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Count, Day, Id, Moment, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action
from yiwang.matters.models import Department, MatterType
from yiwang.party.models import PartyOrganization
from yiwang.regions.models import Region

from . import selectors, services
from .models import Link, LinkKind, LinkProblem, LinkVisit

router = Router(tags=["links"])


class CadenceOut(Schema):
    status: str
    status_label: str
    required: int
    period: str
    current_period: str
    current_contacts: int
    previous_period: str
    previous_contacts: int
    last_visit_at: datetime | None


class LinkOut(Schema):
    id: int
    kind: str
    kind_label: str
    region_code: RegionCode
    region_name: str
    region_level: str
    who: str
    leader: str | None
    leader_name: str
    leader_title: str
    department_code: str | None
    party_organization_id: int | None
    contacts_required: int
    period: str
    counted_mode: str
    cadence_note: str
    starts_on: date
    ends_on: date | None
    active: bool
    primary: str | None
    backup: str | None
    cadence: CadenceOut

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_region_level(obj):
        return obj.region.level

    @staticmethod
    def resolve_leader(obj):
        return obj.leader.username if obj.leader_id else None

    @staticmethod
    def resolve_department_code(obj):
        return obj.department.code if obj.department_id else None

    @staticmethod
    def resolve_primary(obj):
        return obj.primary.username if obj.primary_id else None

    @staticmethod
    def resolve_backup(obj):
        return obj.backup.username if obj.backup_id else None

    @staticmethod
    def resolve_cadence(obj):
        cadence = selectors.cadence_of(obj)
        return {"status": cadence.status, "status_label": cadence.status_label, "required": cadence.required, "period": cadence.period,
                "current_period": cadence.current_label, "current_contacts": cadence.current_contacts,
                "previous_period": cadence.previous_label, "previous_contacts": cadence.previous_contacts,
                "last_visit_at": cadence.last_visit_at}


class ProblemOut(Schema):
    id: int
    row: int
    description: str
    case_number: str | None

    @staticmethod
    def resolve_case_number(obj):
        return obj.case.number if obj.case_id else None


class LinkVisitOut(Schema):
    id: int
    link_id: int
    at: datetime
    mode: str
    mode_label: str
    visitor: str | None
    visitor_names: str
    summary: str
    recorded_by: str | None
    problems: list[ProblemOut]

    @staticmethod
    def resolve_mode_label(obj):
        return obj.get_mode_display()

    @staticmethod
    def resolve_visitor(obj):
        return obj.visitor.username if obj.visitor_id else None

    @staticmethod
    def resolve_recorded_by(obj):
        return obj.recorded_by.username if obj.recorded_by_id else None

    @staticmethod
    def resolve_problems(obj):
        return list(obj.problems.all())


class RegionGapOut(Schema):
    code: str
    name: str
    level: str
    parent_name: str | None
    linked_kinds: list[str]


class LinkIn(Schema):
    kind: str
    region: str  # code
    starts_on: Day | None = None
    leader: str | None = None  # username
    leader_name: str = ""
    leader_title: str = ""
    department: str | None = None  # code
    party_organization: Id | None = None
    contacts_required: Count = 1
    period: str = "month"
    counted_mode: str = ""
    cadence_note: str = ""
    primary: str | None = None  # username
    backup: str | None = None  # username


class EndIn(Schema):
    ends_on: Day | None = None
    reason: str = ""


class ProblemIn(Schema):
    description: str
    matter: Id | None = None  # matter type id: open a case
    grid: str | None = None  # grid code, for a community link's case
    urgency: str = "normal"


class LinkVisitIn(Schema):
    at: Moment
    mode: str
    summary: str
    visitor: str | None = None  # username
    visitor_names: str = ""
    problems: list[ProblemIn] = []


def _links(request):
    return scoped(request, Link).select_related("region", "leader", "department", "party_organization", "primary", "backup")


def _visits(queryset):
    return queryset.select_related("visitor", "recorded_by").prefetch_related("problems__case")


def _user(username: str | None, field: str, *, viewer):
    if not username:
        return None
    # Only accounts in the caller's scope: one outside it reads as "no such user", like an unknown name.
    user = get_user_model().objects.restrict(viewer).filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({field: f"没有用户 {username!r}"})
    return user


@router.get("", response=list[LinkOut])
@paginate(Page)
def list_links(request, kind: str | None = None, region: str | None = None, active: bool | None = True):
    links = under_region(_links(request), region)
    if kind:
        links = links.filter(kind=kind)
    if active is not None:
        links = links.filter(active=active)
    return selectors.with_cadence(links)


@router.get("/visits", response=list[LinkVisitOut])
@paginate(Page)
def list_visits(request, region: str | None = None, since: datetime | None = None):
    visits = under_region(scoped(request, LinkVisit), region, field="link__region__path")
    if since:
        visits = visits.filter(at__gte=since)
    return _visits(visits)


@router.get("/problems", response=list[ProblemOut])
@paginate(Page)
def list_problems(request, region: str | None = None):
    return under_region(scoped(request, LinkProblem), region, field="visit__link__region__path").select_related("case")


@router.get("/missed", response=list[LinkOut])
@paginate(Page)
def missed_links(request, kind: str | None = None):
    """Active links whose last complete period had fewer contacts than required."""
    links = _links(request)
    if kind:
        links = links.filter(kind=kind)
    return selectors.missed(links)


@router.get("/unlinked", response=list[RegionGapOut])
@paginate(Page)
def unlinked_regions(request, kind: str = ""):
    """Grids (and communities, for district leaders) in scope with no active link; `kind` narrows
    to one kind of link, or `unit` for grids with no linked department, alliance unit or branch."""
    if kind and kind != selectors.ANY_UNIT and kind not in LinkKind.values:
        raise ValidationError({"kind": f"unknown kind {kind!r}: use one of {', '.join([*LinkKind.values, selectors.ANY_UNIT])}"})
    regions = list(selectors.regions_without_link(acting_user(request), kind=kind))
    kinds = selectors.active_kinds_by_region(r.pk for r in regions)
    return [{"code": r.code, "name": r.name, "level": r.level, "parent_name": r.parent.name if r.parent_id else None,
             "linked_kinds": kinds.get(r.pk, [])} for r in regions]


@router.get("/{int:link_id}", response=LinkOut)
def get_link(request, link_id: int):
    link = get_scoped(request, Link, pk=link_id)
    return selectors.with_cadence(_links(request).filter(pk=link.pk)).get()


@router.get("/{int:link_id}/visits", response=list[LinkVisitOut])
@paginate(Page)
def link_visits(request, link_id: int):
    link = get_scoped(request, Link, pk=link_id)
    return _visits(link.visits.all())


@router.post("", response={201: LinkOut})
def create_link(request, payload: LinkIn):
    user = acting_user(request)
    region = Region.objects.restrict(user, Action.CHANGE).filter(code=payload.region).first()
    if region is None:
        raise ValidationError({"region": f"没有区域 {payload.region!r}，或不在您的数据范围内"})
    department = None
    if payload.department:
        department = Department.objects.filter(code=payload.department).first()
        if department is None:
            raise ValidationError({"department": f"没有部门 {payload.department!r}"})
    organization = None
    if payload.party_organization:
        organization = PartyOrganization.objects.filter(pk=payload.party_organization).first()
        if organization is None:
            raise ValidationError({"party_organization": f"没有党组织 {payload.party_organization}"})
    link = services.create_link(
        acting_user=user, kind=payload.kind, region=region, starts_on=payload.starts_on, leader=_user(payload.leader, "leader", viewer=user),
        leader_name=payload.leader_name, leader_title=payload.leader_title, department=department, party_organization=organization,
        contacts_required=payload.contacts_required, period=payload.period, counted_mode=payload.counted_mode,
        cadence_note=payload.cadence_note, primary=_user(payload.primary, "primary", viewer=user), backup=_user(payload.backup, "backup", viewer=user))
    return Status(201, selectors.with_cadence(_links(request).filter(pk=link.pk)).get())


@router.post("/{int:link_id}/end", response=LinkOut)
def end_link(request, link_id: int, payload: EndIn):
    link = get_scoped(request, Link, pk=link_id)
    services.end_link(link, acting_user=acting_user(request), ends_on=payload.ends_on, reason=payload.reason)
    return selectors.with_cadence(_links(request).filter(pk=link.pk)).get()


@router.post("/{int:link_id}/visits", response={201: LinkVisitOut})
def record_visit(request, link_id: int, payload: LinkVisitIn):
    """Record a contact; each problem with a `matter` opens a case, all or nothing."""
    user = acting_user(request)
    link = get_scoped(request, Link, pk=link_id)
    problems = []
    for number, row in enumerate(payload.problems, start=1):
        matter = grid = None
        if row.matter is not None:
            matter = MatterType.objects.filter(pk=row.matter).first()
            if matter is None:
                raise ValidationError({f"problems[{number}].matter": f"第{number}个问题：没有事项 {row.matter}"})
        if row.grid:
            grid = Region.objects.restrict(user).filter(code=row.grid).first()
            if grid is None:
                raise ValidationError({f"problems[{number}].grid": f"第{number}个问题：没有网格 {row.grid!r}，或不在您的数据范围内"})
        problems.append(services.ProblemInput(description=row.description, matter=matter, grid=grid, urgency=row.urgency))
    at = payload.at if timezone.is_aware(payload.at) else timezone.make_aware(payload.at)
    visit = services.record_visit(link, acting_user=user, at=at, mode=payload.mode, summary=payload.summary, problems=problems,
                                  visitor=_user(payload.visitor, "visitor", viewer=user), visitor_names=payload.visitor_names)
    return Status(201, _visits(LinkVisit.objects.filter(pk=visit.pk)).get())
