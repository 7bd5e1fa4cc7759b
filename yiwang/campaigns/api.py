"""The campaigns API: campaigns with checklist and progress, targets, and the writes (create,
publish, close, check). Reads are limited to the caller's scope: the owning street sees all of a
campaign, a community or grid worker the campaign and the targets of their own grids."""


from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped
from yiwang.api.params import Day, Id, IdQuery, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action
from yiwang.regions.models import Region

from . import selectors, services
from .models import Campaign, Target

router = Router(tags=["campaigns"])


class CampaignItemOut(Schema):
    id: int
    number: int
    text: str
    matter_code: str
    matter_name: str

    @staticmethod
    def resolve_matter_code(obj):
        return obj.matter.code

    @staticmethod
    def resolve_matter_name(obj):
        return obj.matter.name


class CampaignOut(Schema):
    id: int
    title: str
    description: str
    owner_code: str
    owner_name: str
    task_key: str
    target_kind: str
    starts_on: date
    ends_on: date
    status: str
    status_label: str
    published_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_owner_code(obj):
        return obj.owner.code

    @staticmethod
    def resolve_owner_name(obj):
        return obj.owner.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class GridProgressOut(Schema):
    grid_code: str
    grid_name: str
    targets: int
    checked: int
    failed: int
    cases: int
    unassigned: int
    percent: int


class CampaignDetailOut(CampaignOut):
    items: list[CampaignItemOut]
    admission: dict
    progress: list[GridProgressOut]
    total: GridProgressOut


class ResultOut(Schema):
    item: int
    number: int
    result: str
    note: str
    case_number: str | None


class TargetOut(Schema):
    id: int
    campaign_id: int
    label: str
    address: str
    place_id: int | None
    household_id: int | None
    grid_code: str
    region_code: RegionCode
    assignee: str | None
    status: str
    checked_at: datetime | None
    checked_by: str | None
    results: list[ResultOut]

    @staticmethod
    def resolve_grid_code(obj):
        return obj.grid.code

    @staticmethod
    def resolve_assignee(obj):
        return obj.assignee.username if obj.assignee_id else None

    @staticmethod
    def resolve_checked_at(obj):
        record = _record(obj)
        return record.checked_at if record else None

    @staticmethod
    def resolve_checked_by(obj):
        record = _record(obj)
        return record.checked_by.username if record else None

    @staticmethod
    def resolve_results(obj):
        record = _record(obj)
        if record is None:
            return []
        return [{"item": r.item_id, "number": r.item.number, "result": r.result, "note": r.note,
                 "case_number": r.case.number if r.case_id else None} for r in record.results.all()]


def _record(target):
    """The target's check, or None while it is pending."""
    return getattr(target, "record", None) if target.status == "checked" else None


class ItemIn(Schema):
    text: str
    matter: str  # matter type id or code


class TargetsIn(Schema):
    place_kinds: list[str] = []
    occupancy: list[str] = []
    key_groups: list[str] = []
    all_households: bool = False
    within: list[str] = []  # region codes (communities or grids) inside the owner
    place_ids: list[Id] = []
    household_ids: list[Id] = []


class CampaignIn(Schema):
    owner: str  # region code of the street or district
    title: str
    task_key: str
    starts_on: Day
    ends_on: Day
    target_kind: str = "place"
    description: str = ""
    items: list[ItemIn]
    targets: TargetsIn = TargetsIn()


class ResultIn(Schema):
    item: Id
    result: str
    note: str = ""


class CheckIn(Schema):
    results: list[ResultIn]
    note: str = ""


def _detail(campaign: Campaign, user) -> Campaign:
    """The campaign with its progress over the targets the user may see."""
    report = selectors.progress(selectors.visible_targets(user, campaign))
    campaign.progress = [_grid_row(g) for g in report.grids]
    campaign.total = _grid_row(report.total)
    return campaign


def _grid_row(grid) -> dict:
    return {"grid_code": grid.grid_code, "grid_name": grid.grid_name, "targets": grid.targets, "checked": grid.checked,
            "failed": grid.failed, "cases": grid.cases, "unassigned": grid.unassigned, "percent": grid.percent}


def _campaign(request, campaign_id: int) -> Campaign:
    return get_object_or_404(selectors.visible_campaigns(acting_user(request)).select_related("owner"), pk=campaign_id)


def _targets(qs):
    return qs.select_related("place", "household__house__building", "grid", "region", "assignee",
                             "record__checked_by").prefetch_related("record__results__item", "record__results__case")


@router.get("", response=list[CampaignOut])
@paginate(Page)
def list_campaigns(request, status: str | None = None):
    qs = selectors.visible_campaigns(acting_user(request)).select_related("owner")
    return qs.filter(status=status) if status else qs


@router.get("/targets", response=list[TargetOut])
@paginate(Page)
def list_targets(request, campaign: int | None = IdQuery(), mine: bool = False, status: str | None = None):
    """Targets in scope; `mine` keeps a grid worker's work list (assigned to them or unassigned)."""
    user = acting_user(request)
    qs = selectors.my_targets(user) if mine else selectors.visible_targets(user)
    if campaign:
        qs = qs.filter(campaign_id=campaign)
    if status:
        qs = qs.filter(status=status)
    return _targets(qs.order_by("campaign", "grid__path", "pk"))


@router.get("/targets/{int:target_id}", response=TargetOut)
def get_target(request, target_id: int):
    get_scoped(request, Target, pk=target_id)  # 404 outside scope
    return _targets(Target.objects.filter(pk=target_id)).get()


class AssignIn(Schema):
    assignee_id: Id | None = None  # a grid worker who has the target in scope; null takes it off anyone


@router.post("/targets/{int:target_id}/assign", response=TargetOut)
def assign(request, target_id: int, payload: AssignIn):
    """Give a pending target to another grid worker."""
    from django.contrib.auth import get_user_model

    target = get_scoped(request, Target, Action.CHANGE, pk=target_id)
    assignee = None
    if payload.assignee_id is not None:
        # Looked up in the caller's scope: an account outside it is "no such grid worker" too.
        assignee = get_user_model().objects.restrict(acting_user(request)).filter(pk=payload.assignee_id, is_active=True).first()
        if assignee is None:
            raise ValidationError({"assignee": "没有这个网格员"})
    services.assign_target(target, acting_user=acting_user(request), assignee=assignee)
    return _targets(Target.objects.filter(pk=target_id)).get()


@router.post("/targets/{int:target_id}/check", response={201: TargetOut})
def check_target(request, target_id: int, payload: CheckIn):
    """Record the check of a target; each failed item opens a case, all or nothing."""
    target = get_scoped(request, Target, Action.VIEW, pk=target_id)
    services.record_check(target, acting_user=acting_user(request), results=[r.dict() for r in payload.results], note=payload.note)
    return Status(201, _targets(Target.objects.filter(pk=target_id)).get())


@router.get("/{int:campaign_id}", response=CampaignDetailOut)
def get_campaign(request, campaign_id: int):
    return _detail(_campaign(request, campaign_id), acting_user(request))


@router.post("", response={201: CampaignDetailOut})
def create_campaign(request, payload: CampaignIn):
    user = acting_user(request)
    owner = Region.objects.restrict(user, Action.CHANGE).filter(code=payload.owner).first()
    if owner is None:
        raise ValidationError({"owner": f"没有区域 {payload.owner!r}，或不在您的数据范围内"})
    within = []
    for code in payload.targets.within:
        region = Region.objects.restrict(user).filter(code=code).first()
        if region is None:
            raise ValidationError({"within": f"没有区域 {code!r}，或不在您的数据范围内"})
        within.append(region)
    spec = services.TargetFilter(place_kinds=tuple(payload.targets.place_kinds), occupancy=tuple(payload.targets.occupancy),
                                 key_groups=tuple(payload.targets.key_groups), all_households=payload.targets.all_households,
                                 within=tuple(within), place_ids=tuple(payload.targets.place_ids),
                                 household_ids=tuple(payload.targets.household_ids))
    campaign = services.create_campaign(
        acting_user=user, owner=owner, title=payload.title, task_key=payload.task_key, starts_on=payload.starts_on,
        ends_on=payload.ends_on, target_kind=payload.target_kind, description=payload.description,
        items=[item.dict() for item in payload.items], targets=spec)
    return Status(201, _detail(_campaign(request, campaign.pk), user))


@router.post("/{int:campaign_id}/publish", response=CampaignDetailOut)
def publish_campaign(request, campaign_id: int):
    """Push the campaign down; 422 naming each grid that does not admit the task."""
    campaign = services.publish_campaign(_campaign(request, campaign_id), acting_user=acting_user(request))
    return _detail(_campaign(request, campaign.pk), acting_user(request))


@router.post("/{int:campaign_id}/close", response=CampaignDetailOut)
def close_campaign(request, campaign_id: int):
    campaign = services.close_campaign(_campaign(request, campaign_id), acting_user=acting_user(request))
    return _detail(_campaign(request, campaign.pk), acting_user(request))
