"""The grid-force pages of a district, street or community admin: the units of their scope, and for
one unit its people (1+3+N) and its duty roster. The rules are in services; pages parse and show."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.core import errors
from yiwang.core.scope import Action, get_in_scope
from yiwang.regions.models import Region

from . import selectors, services
from .forms import AssignForm, NewMemberForm, ShiftForm
from .models import Assignment, DutyShift


def _admins_only(request) -> None:
    if not services.may_manage_forces(request.user):
        raise PermissionDenied(_("只有区、街道、社区管理员可以维护网格力量和值班表。"))


def _unit(request, code: str) -> Region:
    return get_in_scope(request.user, Region, Action.CHANGE, code=code, level__in=selectors.UNIT_LEVELS)


@login_required
def index(request):
    _admins_only(request)
    page = Paginator(selectors.units(request.user), 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "forces/index.html", {"page": page})


def _render_unit(request, region: Region, *, member_form=None, assign_form=None, shift_form=None, status: int = 200):
    members = selectors.members_for(request.user, region)
    assignable = region.level in selectors.ASSIGNABLE_LEVELS
    return TemplateResponse(request, "forces/unit.html", {
        "region": region, "assignable": assignable,
        "assignments": selectors.assignments(request.user, region) if assignable else [],
        "shifts": selectors.shifts(request.user, region),
        "member_form": member_form or NewMemberForm(),
        "assign_form": assign_form or AssignForm(members=members),
        "shift_form": shift_form or ShiftForm(members=members),
    }, status=status)


@login_required
def unit(request, code: str):
    _admins_only(request)
    return _render_unit(request, _unit(request, code))


_LABELS = {"name": gettext_lazy("姓名"), "role": gettext_lazy("身份"), "phone": gettext_lazy("电话"), "unit": gettext_lazy("所在单位"),
           "member": gettext_lazy("人员"), "grid": gettext_lazy("网格"), "starts_on": gettext_lazy("起始日期"),
           "ends_on": gettext_lazy("结束日期"), "starts_at": gettext_lazy("开始"), "ends_at": gettext_lazy("结束"),
           "note": gettext_lazy("说明"), "region": gettext_lazy("值守区域")}


def _label(key: str) -> str:
    return str(_LABELS.get(key, key))


def _failed(request, region, form, exc: ValidationError, key: str):
    errors.apply_to_form(form, exc, _label)
    return _render_unit(request, region, **{key: form}, status=400)


@login_required
@require_POST
def add_member(request, code: str):
    _admins_only(request)
    region = _unit(request, code)
    form = NewMemberForm(request.POST)
    if not form.is_valid():
        return _render_unit(request, region, member_form=form, status=400)
    data = form.cleaned_data
    try:
        member = services.add_member(acting_user=request.user, region=region, name=data["name"], role=data["role"],
                                     phone=data["phone"], unit=data["unit"])
    except ValidationError as exc:
        return _failed(request, region, form, exc, "member_form")
    messages.success(request, _("已添加 %(name)s。") % {"name": member.name})
    return redirect("forces:unit", code=code)


@login_required
@require_POST
def assign(request, code: str):
    _admins_only(request)
    region = _unit(request, code)
    form = AssignForm(request.POST, members=selectors.members_for(request.user, region))
    if not form.is_valid():
        return _render_unit(request, region, assign_form=form, status=400)
    data = form.cleaned_data
    try:
        services.assign_member(acting_user=request.user, member=data["member"], grid=region, role=data["role"],
                               starts_on=data["starts_on"], ends_on=data["ends_on"])
    except ValidationError as exc:
        return _failed(request, region, form, exc, "assign_form")
    messages.success(request, _("已把 %(name)s 分配到本网格。") % {"name": data["member"].name})
    return redirect("forces:unit", code=code)


@login_required
@require_POST
def remove_assignment(request, code: str, pk: int):
    _admins_only(request)
    region = _unit(request, code)
    assignment = get_object_or_404(Assignment.objects.restrict(request.user, Action.CHANGE).select_related("member"), pk=pk, grid=region)
    services.remove_assignment(acting_user=request.user, assignment=assignment)
    messages.success(request, _("已将 %(name)s 撤出本网格。") % {"name": assignment.member.name})
    return redirect("forces:unit", code=code)


@login_required
@require_POST
def add_shift(request, code: str):
    _admins_only(request)
    region = _unit(request, code)
    form = ShiftForm(request.POST, members=selectors.members_for(request.user, region))
    if not form.is_valid():
        return _render_unit(request, region, shift_form=form, status=400)
    data = form.cleaned_data
    try:
        services.add_shift(acting_user=request.user, region=region, member=data["member"], starts_at=data["starts_at"],
                           ends_at=data["ends_at"], note=data["note"])
    except ValidationError as exc:
        return _failed(request, region, form, exc, "shift_form")
    messages.success(request, _("已排班：%(name)s。") % {"name": data["member"].name})
    return redirect("forces:unit", code=code)


@login_required
@require_POST
def remove_shift(request, code: str, pk: int):
    _admins_only(request)
    region = _unit(request, code)
    shift = get_object_or_404(DutyShift.objects.restrict(request.user, Action.CHANGE).select_related("member"), pk=pk, region=region)
    services.remove_shift(acting_user=request.user, shift=shift)
    messages.success(request, _("已删除该班次。"))
    return redirect("forces:unit", code=code)
