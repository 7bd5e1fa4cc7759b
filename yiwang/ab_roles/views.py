"""A/B pages: my duties and leaves, who acts on each desk now, recording a leave, setting a desk's A and B."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiwang.core.scope import Action, get_in_scope
from yiwang.core import errors

from . import selectors, services
from .forms import STAFF_ROLES, DeskForm, LeaveForm
from .models import Leave


def _require_staff(user) -> None:
    if not (user.is_superuser or user.role in STAFF_ROLES):
        raise PermissionDenied


@login_required
def index(request):
    """/ab/: the duties I hold, who acts on each desk in my scope now, and the leaves that matter."""
    _require_staff(request.user)
    user, now = request.user, timezone.now()
    leave_form = LeaveForm(request.POST or None, user=user) if request.method == "POST" else LeaveForm(user=user)
    if request.method == "POST" and leave_form.is_valid():
        data = leave_form.cleaned_data
        try:
            services.record_leave(acting_user=user, user=data["user"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                                  reason=data["reason"])
        except ValidationError as error:
            errors.apply_to_form(leave_form, error)
        except PermissionDenied as error:
            leave_form.add_error("user", str(error))
        else:
            messages.success(request, f"已登记 {data['user'].get_full_name() or data['user'].username} 的请假；其A角工作由B角承办。")
            return redirect("ab_roles:index")
    return render(request, "ab_roles/index.html", {
        "my_duties": selectors.my_duties(user, at=now),
        "desks": selectors.desks_in_scope(user, at=now),
        "leaves": selectors.leaves_in_scope(user, now=now),
        "leave_form": leave_form,
        "may_set_desks": services.may_set_desks(user),
        "now": now,
    })


@login_required
@require_POST
def cancel_leave(request, pk: int):
    _require_staff(request.user)
    leave = Leave.objects.filter(pk=pk, user=request.user).first() or get_in_scope(request.user, Leave, Action.VIEW, pk=pk)
    try:
        services.cancel_leave(leave, acting_user=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, "; ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, "请假已撤销。")
    return redirect("ab_roles:index")


@login_required
def desk_form(request):
    """/ab/desks/: set the A and B of a board, a unit's desk or a department's desk."""
    _require_staff(request.user)
    if not services.may_set_desks(request.user):
        raise PermissionDenied
    form = DeskForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            desk = services.save_desk(acting_user=request.user, kind=data["kind"], region=data["region"], board=data["board"] or "",
                                      department=data["department"], primary=data["primary"], backup=data["backup"])
        except ValidationError as error:
            errors.apply_to_form(form, error)
        except PermissionDenied:
            form.add_error("region", "该单位不在您的管理范围内")
        else:
            messages.success(request, f"已保存 {desk} 的AB角。")
            return redirect("ab_roles:index")
    return render(request, "ab_roles/desk_form.html", {"form": form})
