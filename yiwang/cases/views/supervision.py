"""Supervision orders (督办单) on the pages: the command center's list with its filters and the form
for an order on a unit, an order's page, the order on the case page, and the POSTs that issue,
answer, close and return. The rules are `cases.supervision`'s; these only ask and show."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.core import errors
from yiwang.core.pages import require_staff, staff_required
from yiwang.core.params import int_param
from yiwang.core.scope import get_in_scope, is_command_center_staff, scope_path
from yiwang.matters.models import Department
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region

from .. import supervision
from ..models import Case, SupervisionGrade, SupervisionOrder

PAGE_SIZE = 30
FIELD_LABELS = {
    "grade": gettext_lazy("督办级别"), "text": gettext_lazy("督办事项"), "limit": gettext_lazy("办理时限"), "unit": gettext_lazy("被督办单位"),
    "case": gettext_lazy("事件"), "answer": gettext_lazy("答复"), "action_taken": gettext_lazy("采取的措施"),
    "reason": gettext_lazy("退回理由"), "status": gettext_lazy("状态"), "region": gettext_lazy("区域"),
}
FILTER_LABELS = {"open": gettext_lazy("未办结"), "answered": gettext_lazy("已答复待审核"), "closed": gettext_lazy("已办结"),
                 "overdue": gettext_lazy("超时未答复")}
STEP_LABELS = {"issue": gettext_lazy("发出督办"), "answer": gettext_lazy("答复"), "close": gettext_lazy("办结"),
               "return": gettext_lazy("退回重办"), "mark_overdue": gettext_lazy("超时未答复")}
LIMIT_UNITS = (("d", gettext_lazy("个工作日")), ("h", gettext_lazy("个工作小时")))


def _label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return errors.describe(exc, _label)
    return str(exc)


def _limit_of(post) -> str:
    """"3" and "d" from the form → "3d" (the service checks it)."""
    amount, unit = post.get("limit_amount", "").strip(), post.get("limit_unit", "d").strip()
    return f"{amount}{unit}" if amount else ""


def _rows(orders, now) -> list[dict]:
    return [{"order": o, "light": supervision.light_of(o, now), "overdue": o.status in supervision.UNANSWERED and o.due_at < now} for o in orders]


def form_choices() -> dict:
    return {"grades": SupervisionGrade.choices, "limit_units": LIMIT_UNITS}


def case_panel(user, case: Case) -> dict:
    """What the case page shows of supervision: the case's orders (the open one first) and the forms the user may use."""
    now = timezone.now()
    orders = list(supervision.orders_for(user).filter(case=case).prefetch_related("steps"))
    current = next((o for o in orders if o.status in supervision.NOT_CLOSED), None)
    return {"supervision": {
        "rows": _rows(orders, now), "current": current, "may_issue": supervision.may_issue_on(user, case),
        "may_answer": current is not None and supervision.may_answer(user, current),
        "may_decide": current is not None and supervision.may_decide(user, current),
        "step_labels": STEP_LABELS, **form_choices(),
    }}


def _unit_choices(user) -> dict:
    """The units the list page's form offers: streets and communities in scope, and departments for the district."""
    prefix = scope_path(user)
    if prefix is None:
        return {"regions": [], "departments": []}
    rank = supervision.rank_of(user)
    levels = [level for level, unit in ((RegionLevel.STREET, "street"), (RegionLevel.COMMUNITY, "community"))
              if supervision.UNIT_RANK[unit] <= rank]
    regions = Region.objects.restrict(user).filter(level__in=levels).order_by("path").only("pk", "name", "level")
    departments = Department.objects.order_by("code").only("pk", "name") if rank >= supervision.UNIT_RANK["department"] else []
    return {"regions": list(regions[:500]), "departments": list(departments)}


@staff_required
def supervision_list(request):
    """The command center's orders, filtered by state (待答复, 已答复, 已办结, 超时) and region."""
    user = request.user
    if not is_command_center_staff(user):
        raise PermissionDenied(_("督办单列表供区、街道或社区指挥中心使用"))
    state = request.GET.get("status", "").strip()
    if state not in FILTER_LABELS:
        state = ""
    region = None
    code = request.GET.get("region", "").strip()
    if code:
        region = Region.objects.restrict(user).filter(code=code[:32]).first()
        if region is None:
            raise Http404(_("区域不存在或不在您的数据范围内"))
    now = timezone.now()
    orders = supervision.orders_for(user, state=state, region=region, now=now)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    base = {"region": code} if region else {}
    filters = [{"state": key, "label": label, "query": urlencode({**base, "status": key}) if key else urlencode(base)}
               for key, label in [("", _("全部")), *FILTER_LABELS.items()]]
    return render(request, "cases/supervision_list.html", {
        "page": page, "rows": _rows(page, now), "state": state, "filters": filters, "region": region,
        "query": urlencode({**base, **({"status": state} if state else {})}),
        "counts": supervision.counts(user, region=region, now=now), "units": _unit_choices(user), **form_choices(),
    })


@login_required
@require_POST
def supervision_new(request):
    """Issue an order on a unit about a matter in general (the list page's form)."""
    require_staff(request.user)
    user, post = request.user, request.POST
    kind, _sep, pk = post.get("unit", "").partition(":")
    unit_region = unit_department = None
    try:
        if kind == "region":
            unit_region = Region.objects.restrict(user).filter(pk=int_param(pk)).first()
        elif kind == "dept":
            unit_department = Department.objects.filter(pk=int_param(pk)).first()
        if unit_region is None and unit_department is None:
            raise ValidationError({"unit": _("请从列表中选择被督办的单位")})
        order = supervision.issue_order(acting_user=user, grade=post.get("grade", ""), text=post.get("text", ""), limit=_limit_of(post),
                                        unit_region=unit_region, unit_department=unit_department)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _("督办未发出：%(reason)s") % {"reason": _describe(exc)})
        return redirect("supervision-list")
    messages.success(request, _("已向%(unit)s发出督办") % {"unit": order.unit_label})
    return redirect("supervision-detail", pk=order.pk)


@login_required
@require_POST
def case_supervise(request, number: str):
    """Issue an order on a case (its handling unit is supervised), from the case page."""
    require_staff(request.user)
    case = get_in_scope(request.user, Case, number=number)
    post = request.POST
    try:
        supervision.issue_order(acting_user=request.user, case=case, grade=post.get("grade", ""), text=post.get("text", ""), limit=_limit_of(post))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _("督办未发出：%(reason)s") % {"reason": _describe(exc)})
    else:
        messages.success(request, _("已发出督办"))
    return redirect("case-detail", number=case.number)


@staff_required
def supervision_detail(request, pk: int):
    """One order: what was asked, by when, its light, its steps, and the form the user may use now."""
    user = request.user
    order = get_in_scope(user, SupervisionOrder, pk=pk)
    now = timezone.now()
    steps = list(order.steps.order_by("at", "id"))
    for step in steps:
        step.label = STEP_LABELS.get(step.action, step.action)
    return render(request, "cases/supervision_detail.html", {
        "order": order, "light": supervision.light_of(order, now), "steps": steps, "may_answer": supervision.may_answer(user, order), "may_decide": supervision.may_decide(user, order),
        "case_visible": bool(order.case_id) and Case.objects.restrict(user).filter(pk=order.case_id).exists(),
        "overdue": order.status in supervision.UNANSWERED and order.due_at < now,
    })


@login_required
@require_POST
def supervision_step(request, pk: int, step: str):
    """answer (the unit), close or return (the issuer); back to where the form was."""
    require_staff(request.user)
    user, post = request.user, request.POST
    order = get_in_scope(user, SupervisionOrder, pk=pk)
    if step not in ("answer", "close", "return"):
        raise Http404
    try:
        if step == "answer":
            supervision.answer_order(order, acting_user=user, answer=post.get("answer", ""), action_taken=post.get("action_taken", ""))
        elif step == "close":
            supervision.close_order(order, acting_user=user, note=post.get("note", ""))
        else:
            supervision.return_order(order, acting_user=user, reason=post.get("reason", ""))
    except (ValidationError, PermissionDenied, supervision.SupervisionRefused) as exc:
        messages.error(request, _("“%(step)s”未完成：%(reason)s") % {"step": STEP_LABELS[step], "reason": _describe(exc)})
    else:
        messages.success(request, _("督办单已%(step)s") % {"step": STEP_LABELS[step]})
    back = post.get("back", "")
    if back == "case" and order.case_id and Case.objects.restrict(user).filter(pk=order.case_id).exists():
        return redirect("case-detail", number=order.case.number)
    return redirect("supervision-detail", pk=order.pk)


def inbox_section(user, now) -> dict:
    """The inbox's 督办 section: orders the user's unit must answer (nearest deadline first) and answers to review."""
    related = ("case__matter", "unit_region", "unit_department")
    to_answer = supervision.for_unit(user).select_related(*related).order_by("due_at", "id")
    to_review = supervision.for_review(user).select_related(*related).order_by("answered_at", "id")
    return {"supervision": {
        "to_answer": _rows(to_answer[:20], now), "to_answer_count": to_answer.count(),
        "to_review": _rows(to_review[:20], now), "to_review_count": to_review.count(),
    }}
