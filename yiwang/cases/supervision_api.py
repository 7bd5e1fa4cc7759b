"""Supervision orders (督办单) in the API, under /api/supervision: create, list, read, answer, close
and return. The rules are `cases.supervision`'s; outside the scope an order is a 404."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped
from yiwang.api.params import Id, Page
from yiwang.matters.models import Department
from yiwang.regions.models import Region

from . import supervision
from .models import Case, SupervisionOrder

router = Router(tags=["supervision"])


class StepOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str
    at: datetime
    note: str

    @staticmethod
    def resolve_actor(obj):
        return obj.actor_label


class OrderOut(Schema):
    id: int
    case: str | None
    unit_level: str
    unit: str
    unit_region: str | None
    unit_department: str | None
    grade: str
    text: str
    status: str
    status_label: str
    issued_at: datetime
    limit: str
    due_at: datetime
    overdue: bool
    answer: str
    action_taken: str
    answered_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_case(obj):
        return obj.case.number if obj.case_id else None

    @staticmethod
    def resolve_unit(obj):
        return obj.unit_label

    @staticmethod
    def resolve_unit_region(obj):
        return obj.unit_region.code if obj.unit_region_id else None

    @staticmethod
    def resolve_unit_department(obj):
        return obj.unit_department.code if obj.unit_department_id else None

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_overdue(obj):
        return obj.status in supervision.UNANSWERED and obj.due_at < timezone.now()


class OrderDetailOut(OrderOut):
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj):
        return list(obj.steps.order_by("at", "id"))


class OrderIn(Schema):
    case: str | None = None  # a case number: its handling unit is supervised
    unit_region: str | None = None  # or a street's, community's or grid's code
    unit_department: str | None = None  # or a department's code (the district only)
    grade: str = "general"  # general 一般督办, key 重点督办, listed 挂牌督办
    text: str
    limit: str  # working time: "3d" (working days) or "8h" (working hours)


class AnswerIn(Schema):
    answer: str
    action_taken: str = ""


class SupervisionDecisionIn(Schema):
    note: str = ""
    reason: str = ""


@router.post("/orders", response={201: OrderDetailOut})
def create_order(request, payload: OrderIn):
    """Issue an order on a case or on a unit (exactly one of `case`, `unit_region`, `unit_department`)."""
    user = acting_user(request)
    case = unit_region = unit_department = None
    if payload.case:
        case = get_scoped(request, Case, number=payload.case.strip()[:24])
    if payload.unit_region:
        unit_region = Region.objects.restrict(user).filter(code=payload.unit_region.strip()[:32]).first()
        if unit_region is None:
            raise ValidationError({"unit_region": gettext("您的范围内没有编码为“%(value)s”的区域") % {"value": payload.unit_region.strip()[:32]}})
    if payload.unit_department:
        unit_department = Department.objects.filter(code=payload.unit_department.strip()[:32]).first()
        if unit_department is None:
            raise ValidationError({"unit_department": gettext("没有部门“%(department)s”") % {"department": payload.unit_department.strip()[:32]}})
    if sum(x is not None for x in (case, unit_region, unit_department)) != 1:
        raise ValidationError({"case": gettext("请指明一个事件（case），或一个被督办单位（unit_region 或 unit_department）")})
    order = supervision.issue_order(acting_user=user, case=case, unit_region=unit_region, unit_department=unit_department,
                                    grade=payload.grade, text=payload.text, limit=payload.limit)
    return Status(201, order)


@router.get("/orders", response=list[OrderOut])
@paginate(Page)
def list_orders(request, status: str = "", region: str = ""):
    """The caller's orders, newest first; `status` open (not closed), answered (waiting for the issuer), closed or
    overdue (unanswered past the deadline); `region` a code: orders in its subtree."""
    user = acting_user(request)
    place = None
    if region.strip():
        place = Region.objects.restrict(user).filter(code=region.strip()[:32]).first()
        if place is None:
            raise ValidationError({"region": gettext("您的范围内没有编码为“%(value)s”的区域") % {"value": region.strip()[:32]}})
    return supervision.orders_for(user, state=status.strip(), region=place)


@router.get("/orders/{order_id}", response=OrderDetailOut)
def get_order(request, order_id: Id):
    return get_scoped(request, SupervisionOrder, pk=order_id)


@router.post("/orders/{order_id}/answer", response=OrderDetailOut)
def answer_order(request, order_id: Id, payload: AnswerIn):
    """The supervised unit's written answer (with the action it took)."""
    order = get_scoped(request, SupervisionOrder, pk=order_id)
    return supervision.answer_order(order, acting_user=acting_user(request), answer=payload.answer, action_taken=payload.action_taken)


@router.post("/orders/{order_id}/close", response=OrderDetailOut)
def close_order(request, order_id: Id, payload: SupervisionDecisionIn):
    """The issuer accepts the answer."""
    order = get_scoped(request, SupervisionOrder, pk=order_id)
    return supervision.close_order(order, acting_user=acting_user(request), note=payload.note)


@router.post("/orders/{order_id}/return", response=OrderDetailOut)
def return_order(request, order_id: Id, payload: SupervisionDecisionIn):
    """The issuer sends the answer back, with the reason."""
    order = get_scoped(request, SupervisionOrder, pk=order_id)
    return supervision.return_order(order, acting_user=acting_user(request), reason=payload.reason or payload.note)
