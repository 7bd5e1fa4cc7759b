"""A/B roles over the API: desks with who acts now, leaves, and recording or cancelling a leave."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import DEFAULT_PAGE_SIZE, Moment, Page, PageLimit, PageOffset

from . import selectors, services
from .acting import who_acts, who_acts_many
from .forms import people_for
from .models import Desk, Leave

router = Router(tags=["ab_roles"])


def _name(user) -> str | None:
    return (user.get_full_name() or user.username) if user else None


def _acting(desk: Desk):
    # Asked three times per row by the schema: look it up once.
    if not hasattr(desk, "_acting"):
        desk._acting = who_acts(desk)
    return desk._acting


class DeskOut(Schema):
    id: int
    kind: str
    name: str
    region_code: str
    board: str
    department: str | None
    primary: str | None
    backup: str | None
    acting: str | None
    acting_role: str
    acting_reason: str

    @staticmethod
    def resolve_name(obj):
        return str(obj)

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code

    @staticmethod
    def resolve_department(obj):
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_primary(obj):
        return _name(obj.primary)

    @staticmethod
    def resolve_backup(obj):
        return _name(obj.backup)

    @staticmethod
    def resolve_acting(obj):
        return _name(_acting(obj).user)

    @staticmethod
    def resolve_acting_role(obj):
        return _acting(obj).role

    @staticmethod
    def resolve_acting_reason(obj):
        return _acting(obj).reason


class LeaveOut(Schema):
    id: int
    user: str
    username: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    cancelled_at: datetime | None
    handed_over_at: datetime | None

    @staticmethod
    def resolve_user(obj):
        return _name(obj.user)

    @staticmethod
    def resolve_username(obj):
        return obj.user.username


class LeaveIn(Schema):
    username: str | None = None  # default: the caller
    starts_at: Moment
    ends_at: Moment
    reason: str


class MyDutyOut(Schema):
    kind: str
    duty: str
    mine: str
    acting: str | None
    acting_role: str
    acting_reason: str


class DeskPage(Schema):
    items: list[DeskOut]
    count: int


@router.get("/desks", response=DeskPage)
def list_desks(request, region: str | None = None, limit: PageLimit = DEFAULT_PAGE_SIZE, offset: PageOffset = 0):
    desks = under_region(scoped(request, Desk).select_related("region", "department", "primary", "backup"), region)
    page = list(desks[offset:offset + limit])
    # Who acts on the whole page from one query of leaves, not one per desk.
    for desk, acting in who_acts_many(page):
        desk._acting = acting
    return {"items": page, "count": desks.count()}


@router.get("/desks/{desk_id}", response=DeskOut)
def get_desk(request, desk_id: int):
    return get_scoped(request, Desk, pk=desk_id)


@router.get("/leaves", response=list[LeaveOut])
@paginate(Page)
def list_leaves(request, region: str | None = None, current: bool = False):
    leaves = scoped(request, Leave).select_related("user")
    if current:
        leaves = leaves.filter(ends_at__gt=timezone.now(), cancelled_at__isnull=True)
    return under_region(leaves, region)


@router.get("/leaves/{leave_id}", response=LeaveOut)
def get_leave(request, leave_id: int):
    return get_scoped(request, Leave, pk=leave_id)


@router.post("/leaves", response={201: LeaveOut})
def create_leave(request, payload: LeaveIn):
    user = acting_user(request)
    person = user
    if payload.username and payload.username != user.username:
        person = people_for(user).filter(username=payload.username).first()
        if person is None:
            raise ValidationError({"username": gettext("您的数据范围内没有工作人员“%(username)s”") % {"username": payload.username}})
    leave = services.record_leave(acting_user=user, user=person, starts_at=payload.starts_at, ends_at=payload.ends_at,
                                  reason=payload.reason)
    return Status(201, leave)


@router.post("/leaves/{leave_id}/cancel", response=LeaveOut)
def cancel_leave(request, leave_id: int):
    user = acting_user(request)
    leave = Leave.objects.filter(pk=leave_id, user=user).first() or get_scoped(request, Leave, pk=leave_id)
    return services.cancel_leave(leave, acting_user=user)


@router.get("/mine", response=list[MyDutyOut])
def my_duties(request):
    """Every duty where the caller is A or B, with who acts on it now."""
    return [{"kind": str(row["kind"]), "duty": str(row["duty"]), "mine": row["mine"], "acting": _name(row["acting"].user),
             "acting_role": row["acting"].role, "acting_reason": row["acting"].reason}
            for row in selectors.my_duties(acting_user(request))]
