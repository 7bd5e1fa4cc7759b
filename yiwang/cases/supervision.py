"""Supervision orders (督办单): the command center asks a unit, about a case or a matter in general,
for a written answer by a working-time deadline; the issuer then closes the order or sends it back.

Everything the pages and the API obey is here: who may issue (command-center staff at or above the
supervised unit's level, the case or unit in their scope), the refusals (a closed case, a second
open order on one case), the state machine of an order, its steps and the case's history, the
notices queued in the same transaction, the overdue sweep, and the reads (lists, the inbox section,
the command screen's counts).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from yiwang.ab_roles.units import HANDLER_ROLE, LEVEL_OF_REGION, Level, can_handle_at
from yiwang.core.audit import account
from yiwang.core.scope import Role, ancestor_paths, is_command_center_staff, scope_path
from yiwang.core.statemachine import IllegalTransition, StateMachine, Transition
from yiwang.notify.models import Notification
from yiwang.notify.services import deliver
from yiwang.worktime import calendar as work_calendar
from yiwang.worktime.sla import LIMIT_PATTERN, Light, light_at

from .models import (
    OPEN_STATUSES, Case, CaseEvent, SupervisionGrade, SupervisionOrder, SupervisionStatus, SupervisionStep,
)

S = SupervisionStatus
# An order waits for the unit in these; past its deadline in them it is overdue.
UNANSWERED = (S.OPEN, S.RETURNED)
NOT_CLOSED = (S.OPEN, S.ANSWERED, S.RETURNED)
# The longest deadline an order may set (working days, or working hours).
MAX_LIMIT = {"d": 60, "h": 480}
# How high each role's command center stands, and each handling unit: an issuer stands at or above the unit.
ROLE_RANK = {Role.COMMUNITY: 2, Role.STREET: 3, Role.DISTRICT: 4}
UNIT_RANK = {Level.GRID: 1, Level.COMMUNITY: 2, Level.STREET: 3, Level.DEPARTMENT: 4}
SUPERUSER_RANK = 5


class SupervisionRefused(IllegalTransition):
    def __init__(self, status: str, action: str):
        super().__init__(status, action)
        label = S(status).label if status in S.values else status
        self.args = (gettext("督办单当前为“%(status)s”，不能%(action)s") % {"status": label, "action": ACTION_WORDS.get(action, action)},)

    def __str__(self) -> str:
        return str(self.args[0])


class Actor:
    UNIT = "unit"  # a member of the supervised unit
    ISSUER = "issuer"  # the command center that issued the order
    SYSTEM = "system"


MACHINE = StateMachine([
    Transition("answer", UNANSWERED, S.ANSWERED, Actor.UNIT, "answered_at", needs_note=True),
    Transition("close", S.ANSWERED, S.CLOSED, Actor.ISSUER, "closed_at"),
    Transition("return", S.ANSWERED, S.RETURNED, Actor.ISSUER, "returned_at", needs_note=True),
    Transition("mark_overdue", UNANSWERED, None, Actor.SYSTEM, "overdue_at"),
], refusal=SupervisionRefused)

# Said in sentences ("不能答复"); the pages and the case's timeline label the steps with these too.
ACTION_WORDS = {"issue": gettext_lazy("督办"), "answer": gettext_lazy("答复"), "close": gettext_lazy("办结"), "return": gettext_lazy("退回"),
                "mark_overdue": gettext_lazy("标记超时")}
# The case's history and the notices name each step of an order so.
CASE_ACTIONS = {step: f"supervision_{step}" for step in ("issue", "answer", "close", "return", "mark_overdue")}
NOTICE_TEXT = {"issue": "督办", "answer": "督办已答复，请审核", "close": "督办已办结", "return": "督办答复被退回，请重新办理",
               "mark_overdue": "督办超时未答复"}


# Who may do what --------------------------------------------------------------------------------

def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def rank_of(user) -> int:
    return SUPERUSER_RANK if user.is_superuser else ROLE_RANK.get(user.role, 0)


def _level_word(level: str) -> str:
    return str(Level(level).label) if level in Level.values else level


def case_refusal(user, case: Case) -> str:
    """Why `user` may not issue an order on `case` now ("" when they may)."""
    if not _active(user) or not is_command_center_staff(user):
        return gettext("只有区、街道或社区指挥中心的工作人员可以督办")
    if not Case.objects.restrict(user).filter(pk=case.pk).exists():
        return gettext("事件%(number)s不在您的数据范围内") % {"number": case.number}
    if rank_of(user) < UNIT_RANK.get(case.level, SUPERUSER_RANK):
        return gettext("事件%(number)s由%(level)s办理，高于您的层级，不能督办") % {"number": case.number, "level": _level_word(case.level)}
    return ""


def may_issue_on(user, case: Case) -> bool:
    """May `user` issue an order on this case now (the page offers the form only then)?"""
    return not case_refusal(user, case) and case.status in OPEN_STATUSES and not open_order_of(case)


def may_answer(user, order: SupervisionOrder) -> bool:
    return MACHINE.can(order, "answer") and is_unit_member(user, order)


def is_unit_member(user, order: SupervisionOrder) -> bool:
    return can_handle_at(user, level=order.unit_level, region=order.unit_region, department=order.unit_department_id)


def is_issuer(user, order: SupervisionOrder) -> bool:
    """The person who issued it, or a colleague of the same command center (same role and region)."""
    if not _active(user):
        return False
    if user.is_superuser or user.pk == order.issued_by_id:
        return True
    return bool(order.issuer_region_id) and user.role == order.issuer_role and user.scope_region_id == order.issuer_region_id


def may_decide(user, order: SupervisionOrder) -> bool:
    return MACHINE.can(order, "close") and is_issuer(user, order)


# Writes -----------------------------------------------------------------------------------------

def _label(user) -> str:
    return (user.get_full_name() or user.username) if _active(user) else ""


def _check_limit(limit: str) -> str:
    match = LIMIT_PATTERN.match(str(limit or ""))
    if not match or float(match.group(1)) <= 0 or float(match.group(1)) > MAX_LIMIT[match.group(2)]:
        raise ValidationError({"limit": gettext("办理时限应为工作日（d）或工作小时（h），如 3d 或 8h，最长 %(days)s 个工作日或 %(hours)s 个工作小时")
                               % {"days": MAX_LIMIT["d"], "hours": MAX_LIMIT["h"]}})
    return f"{match.group(1)}{match.group(2)}"


def _check_words(*, grade: str, text: str) -> str:
    if grade not in SupervisionGrade.values:
        raise ValidationError({"grade": gettext("督办级别应为一般督办、重点督办或挂牌督办")})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": gettext("请写明督办事项")})
    if len(text) > 2000:
        raise ValidationError({"text": gettext("督办事项最多 2000 字")})
    return text


def _unit_of(user, *, unit_region, unit_department) -> dict:
    """The supervised unit of an order not on a case, checked against the issuer's scope and level."""
    if (unit_region is None) == (unit_department is None):
        raise ValidationError({"unit": gettext("请选择被督办的单位：一个网格、社区或街道，或一个部门")})
    prefix = scope_path(user)
    if unit_department is not None:
        if rank_of(user) < UNIT_RANK[Level.DEPARTMENT]:
            raise PermissionDenied(gettext("只有区指挥中心可以督办职能部门"))
        return {"unit_level": Level.DEPARTMENT, "unit_region": None, "unit_department": unit_department, "region": unit_department.region}
    level = LEVEL_OF_REGION.get(unit_region.level)
    if level is None or unit_region.level not in ("grid", "community", "street"):
        raise ValidationError({"unit": gettext("%(region)s不是网格、社区或街道，不能作为被督办单位") % {"region": unit_region.name}})
    if prefix is None or not unit_region.path.startswith(prefix):
        raise PermissionDenied(gettext("%(region)s不在您的数据范围内") % {"region": unit_region.name})
    if rank_of(user) < UNIT_RANK[level]:
        raise PermissionDenied(gettext("%(region)s高于您的层级，不能督办") % {"region": unit_region.name})
    return {"unit_level": level, "unit_region": unit_region, "unit_department": None, "region": unit_region}


def open_order_of(case: Case) -> SupervisionOrder | None:
    return case.supervision_orders.filter(status__in=NOT_CLOSED).first()


def issue_order(*, acting_user, grade: str, text: str, limit: str, case: Case | None = None, unit_region=None, unit_department=None,
                now: datetime | None = None) -> SupervisionOrder:
    """Issue an order on a case (its handling unit is supervised) or on a unit about a matter in general."""
    now = now or timezone.now()
    if not _active(acting_user) or not is_command_center_staff(acting_user):
        raise PermissionDenied(gettext("只有区、街道或社区指挥中心的工作人员可以督办"))
    if case is not None and (unit_region is not None or unit_department is not None):
        raise ValidationError({"unit": gettext("督办事件时不另选单位：被督办的是事件的办理单位")})
    text = _check_words(grade=grade, text=text)
    limit = _check_limit(limit)
    calendar = work_calendar.current()
    warn_at, due_at = calendar.due(now, limit)
    with transaction.atomic():
        if case is not None:
            case = Case.objects.select_for_update().select_related("region", "handling_region").get(pk=case.pk)
            refusal = case_refusal(acting_user, case)
            if refusal:
                raise PermissionDenied(refusal)
            if case.status not in OPEN_STATUSES:
                raise ValidationError({"case": gettext("事件%(number)s%(status)s，不能再督办") % {"number": case.number, "status": case.get_status_display()}})
            existing = open_order_of(case)
            if existing is not None:
                raise ValidationError({"case": gettext("事件%(number)s已有一张未办结的督办单（%(status)s），请在该督办单上跟进") % {
                    "number": case.number, "status": existing.get_status_display()}})
            unit = {"unit_level": case.level, "unit_region": case.handling_region, "unit_department": case.handling_department, "region": case.region}
        else:
            unit = _unit_of(acting_user, unit_region=unit_region, unit_department=unit_department)
        order = SupervisionOrder(case=case, grade=grade, text=text, limit=limit, issued_by=account(acting_user), issuer_role=acting_user.role or "",
                                 issuer_region=acting_user.scope_region, issued_at=now, warn_at=warn_at, due_at=due_at, **unit)
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError:  # another order on the same case won the race
            raise ValidationError({"case": gettext("该事件已有一张未办结的督办单")}) from None
        _record(order, "issue", "", acting_user=acting_user, note=text, at=now)
    return order


def answer_order(order: SupervisionOrder, *, acting_user, answer: str, action_taken: str = "", now: datetime | None = None) -> SupervisionOrder:
    """The supervised unit's written answer, with the action it took."""
    now = now or timezone.now()
    answer, action_taken = (answer or "").strip(), (action_taken or "").strip()
    if not answer:
        raise ValidationError({"answer": gettext("请写明答复内容")})
    if len(answer) > 2000 or len(action_taken) > 2000:
        raise ValidationError({"answer" if len(answer) > 2000 else "action_taken": gettext("最多 2000 字")})
    with transaction.atomic():
        locked = _lock(order)
        transition = MACHINE.move(locked, "answer")
        if not is_unit_member(acting_user, locked):
            raise PermissionDenied(gettext("只有被督办单位的工作人员可以答复"))
        before = locked.status
        MACHINE.apply(locked, transition, now)
        locked.answer, locked.action_taken, locked.answered_by = answer, action_taken, account(acting_user)
        locked.save()
        note = answer if not action_taken else f"{answer}\n{gettext('采取的措施')}：{action_taken}"
        _record(locked, "answer", before, acting_user=acting_user, note=note, at=now)
    return locked


def close_order(order: SupervisionOrder, *, acting_user, note: str = "", now: datetime | None = None) -> SupervisionOrder:
    """The issuer accepts the answer: the order is done."""
    return _decide(order, "close", acting_user=acting_user, note=note, now=now)


def return_order(order: SupervisionOrder, *, acting_user, reason: str, now: datetime | None = None) -> SupervisionOrder:
    """The issuer sends the answer back: the unit answers again (the deadline stays)."""
    return _decide(order, "return", acting_user=acting_user, note=reason, now=now)


def _decide(order, action: str, *, acting_user, note: str, now) -> SupervisionOrder:
    now = now or timezone.now()
    note = (note or "").strip()
    with transaction.atomic():
        locked = _lock(order)
        transition = MACHINE.move(locked, action)
        if not is_issuer(acting_user, locked):
            raise PermissionDenied(gettext("只有发出督办的指挥中心可以办结或退回督办单"))
        if transition.needs_note and not note:
            raise ValidationError({"reason": gettext("请写明退回理由")})
        before = locked.status
        MACHINE.apply(locked, transition, now)
        if action == "close":
            locked.closed_by = account(acting_user)
        locked.save()
        _record(locked, action, before, acting_user=acting_user, note=note, at=now)
    return locked


def flag_overdue(*, now: datetime) -> int:
    """The sweep: orders past their deadline unanswered are marked once, and the issuer and the unit told once."""
    due = SupervisionOrder.objects.filter(status__in=UNANSWERED, due_at__lte=now, overdue_at__isnull=True)
    flagged = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            locked = SupervisionOrder.objects.select_for_update().filter(pk=pk, status__in=UNANSWERED, overdue_at__isnull=True).first()
            if locked is None:  # answered or flagged in between
                continue
            MACHINE.apply(locked, "mark_overdue", now)
            locked.save(update_fields=["overdue_at"])
            _record(locked, "mark_overdue", locked.status, acting_user=None, note="", at=now)
            flagged += 1
    return flagged


def _lock(order: SupervisionOrder) -> SupervisionOrder:
    return SupervisionOrder.objects.select_for_update().get(pk=order.pk)


def _record(order: SupervisionOrder, action: str, before: str, *, acting_user, note: str, at: datetime) -> SupervisionStep:
    """The order's step row, the case's history (when on a case), and the notice queued in the same transaction."""
    actor = account(acting_user)
    label = _label(acting_user) or "系统"
    step = SupervisionStep.objects.create(order=order, action=action, from_status=before, to_status=order.status, actor=actor,
                                          actor_label=label[:100], at=at, note=note)
    if order.case_id:
        status = Case.objects.filter(pk=order.case_id).values_list("status", flat=True).get()
        CaseEvent.objects.create(case_id=order.case_id, at=at, actor=actor, actor_label=label[:100], action=CASE_ACTIONS[action],
                                 from_status=status, to_status=status, note=note, public=False,
                                 detail={"order": order.pk, "grade": order.grade, "due_at": order.due_at.isoformat(), "status": order.status})
        if action == "answer":
            # The unit's own calls to answer are answered now.
            Notification.objects.filter(case_id=order.case_id, read_at__isnull=True,
                                        kind__in=[CASE_ACTIONS[a] for a in ("issue", "return", "mark_overdue")]).update(read_at=at)
    deliver_supervision_step.enqueue(step.pk)
    return step


# Notices (the worker's side) --------------------------------------------------------------------

def unit_members(order: SupervisionOrder):
    users = get_user_model().objects.filter(is_active=True)
    if order.unit_level == Level.DEPARTMENT:
        return users.filter(departments=order.unit_department_id) if order.unit_department_id else users.none()
    return users.filter(role=HANDLER_ROLE[order.unit_level], scope_region__path__startswith=order.unit_region.path)


def issuers(order: SupervisionOrder):
    users = get_user_model().objects.filter(is_active=True)
    if order.issued_by_id and users.filter(pk=order.issued_by_id).exists():
        return users.filter(pk=order.issued_by_id)
    if order.issuer_region_id:
        return users.filter(role=order.issuer_role, scope_region=order.issuer_region_id)
    return users.none()


def recipients(order: SupervisionOrder, action: str) -> set:
    if action == "answer":
        return set(issuers(order))
    if action == "mark_overdue":
        return set(issuers(order)) | set(unit_members(order))
    return set(unit_members(order))


def notice_text(order: SupervisionOrder, action: str) -> str:
    grade = order.get_grade_display()
    about = f"{order.case.number} {order.case.matter.name}" if order.case_id else order.text[:40]
    due = timezone.localtime(order.due_at).strftime("%Y-%m-%d %H:%M")
    return f"【{NOTICE_TEXT[action]}·{grade}】{order.unit_label}：{about}（答复时限 {due}）"


def deliver_step(step_id: int) -> int:
    step = (SupervisionStep.objects.select_related("order__case__matter", "order__unit_region", "order__unit_department", "order__region")
            .filter(pk=step_id).first())
    if step is None:
        return 0
    order = step.order
    return deliver(users=recipients(order, step.action), kind=CASE_ACTIONS[step.action], text=notice_text(order, step.action),
                   region_path=order.region.path, case=order.case)


@task
def deliver_supervision_step(step_id: int) -> int:
    return deliver_step(step_id)


# Reads ------------------------------------------------------------------------------------------

def overdue_condition(now: datetime) -> Q:
    """The one 超时 of an order: unanswered and past its deadline (the list, the screen and the sweep)."""
    return Q(status__in=UNANSWERED, due_at__lt=now)


def filter_orders(orders: QuerySet, state: str, now: datetime) -> QuerySet:
    """`state`: open (not closed yet), answered (waiting for the issuer), closed, overdue (unanswered past
    the deadline); "" all. The screen's counts are these same filters."""
    if state == "open":
        return orders.filter(status__in=NOT_CLOSED)
    if state == "answered":
        return orders.filter(status=S.ANSWERED)
    if state == "closed":
        return orders.filter(status=S.CLOSED)
    if state == "overdue":
        return orders.filter(overdue_condition(now))
    if state:
        raise ValidationError({"status": gettext("状态应为 open、answered、closed 或 overdue")})
    return orders


def orders_for(user, *, state: str = "", region=None, now: datetime | None = None) -> QuerySet:
    """The orders `user` sees, narrowed to a state and a region's subtree."""
    orders = SupervisionOrder.objects.restrict(user).select_related("case", "unit_region", "unit_department", "issued_by", "region")
    if region is not None:
        orders = orders.filter(region__path__startswith=region.path)
    return filter_orders(orders, state, now or timezone.now())


def light_of(order: SupervisionOrder, now: datetime) -> dict | None:
    """The order's light with its word while the unit owes an answer (None once answered or closed)."""
    if order.status not in UNANSWERED:
        return None
    light = light_at(now=now, warn_at=order.warn_at, due_at=order.due_at)
    words = {Light.GREEN: gettext("正常"), Light.YELLOW: gettext("预警"), Light.RED: gettext("超时")}
    return {"colour": light.value, "text": words[light]}


def for_unit(user) -> QuerySet:
    """Orders waiting for an answer from a unit `user` works for (the inbox's 督办 section)."""
    orders = SupervisionOrder.objects.filter(status__in=UNANSWERED)
    if not _active(user):
        return orders.none()
    if user.is_superuser:
        return orders
    if user.role == Role.DEPARTMENT:
        return orders.filter(unit_level=Level.DEPARTMENT, unit_department__in=user.departments.values("pk"))
    levels = [level for level, role in HANDLER_ROLE.items() if role == user.role]
    own = scope_path(user)
    if not levels or own is None:
        return orders.none()
    # As can_handle_at: the unit's region is the user's own, above it or below it.
    return orders.filter(unit_level__in=levels).filter(Q(unit_region__path__startswith=own) | Q(unit_region__path__in=ancestor_paths(own)))


def for_review(user) -> QuerySet:
    """Answered orders the user's command center issued, waiting for its decision."""
    orders = SupervisionOrder.objects.filter(status=S.ANSWERED)
    if not _active(user) or not is_command_center_staff(user):
        return orders.none()
    if user.is_superuser:
        return orders
    return orders.filter(Q(issued_by=user) | Q(issuer_role=user.role, issuer_region=user.scope_region_id))


def counts(user, *, region=None, now: datetime | None = None) -> dict:
    """Open orders (not closed) and overdue ones, under `region` (None: the whole scope), for the screen."""
    now = now or timezone.now()
    orders = orders_for(user, region=region, now=now)
    return {state: filter_orders(orders, state, now).count() for state in ("open", "overdue")}
