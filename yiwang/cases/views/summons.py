"""Summons (吹哨报到) from the case page: a coordinator summons departments with a reason; each
summoned party checks in and reports its task done; the summoner rates the party."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.pages import require_staff
from yiwang.core.params import int_param
from yiwang.core.scope import get_in_scope

from .. import services
from ..lifecycle import IllegalTransition
from ..models import Case, SummonsPart
from ..selectors import dispatch_departments
from .common import ACTION_LABELS, describe_error, float_param

# Rows of departments the case page's summons form offers.
SUMMON_ROWS = 3


@login_required
@require_POST
def case_summon(request, number: str):
    require_staff(request.user)
    user = request.user
    case = get_in_scope(user, Case, number=number)
    departments = dispatch_departments(case)
    reason = request.POST.get("reason", "").strip()
    try:
        if not reason:
            raise ValidationError({"reason": _("请写明吹哨事由")})
        parts = []
        for i in range(SUMMON_ROWS):
            dept_pk, task = request.POST.get(f"part-{i}-department", ""), request.POST.get(f"part-{i}-task", "").strip()
            if not dept_pk and not task:
                continue
            department = departments.filter(pk=int_param(dept_pk)).first() if dept_pk else None
            if dept_pk and department is None:
                raise ValidationError({f"parts[{i + 1}]": _("请从列表中选择部门")})
            hours = float_param(request.POST.get(f"part-{i}-hours") or 2)
            if hours is None or hours <= 0:
                raise ValidationError({f"parts[{i + 1}]": _("报到时限应为正数（工作小时）")})
            parts.append({"department": department, "task": task, "checkin_hours": hours})
        services.do_summon(case, acting_user=user, reason=reason, parts=parts)
    except (ValidationError, PermissionDenied, IllegalTransition) as exc:
        messages.error(request, _("“%(action)s”未完成：%(reason)s") % {"action": ACTION_LABELS["summon"], "reason": describe_error(exc)})
    else:
        messages.success(request, _("已吹哨，等待报到"))
    return redirect("case-detail", number=case.number)


@login_required
@require_POST
def summons_part_step(request, part_id: int, step: str):
    """A summoned party checks in or reports its task done; the summoner rates the party."""
    require_staff(request.user)
    part = get_object_or_404(SummonsPart.objects.select_related("summons"), pk=part_id)
    case = get_in_scope(request.user, Case, pk=part.summons.case_id)
    stars = int_param(request.POST.get("stars"))
    labels = {"check-in": _("报到"), "done": _("完成任务"), "rate": _("评价报到单位")}
    if step not in labels:
        raise Http404
    try:
        if step == "check-in":
            services.do_check_in(part, acting_user=request.user)
        elif step == "done":
            services.do_finish_part(part, acting_user=request.user, result=request.POST.get("result", ""), rating_of_summoner=stars)
        else:
            services.do_rate_participant(part, acting_user=request.user, stars=stars)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _("“%(action)s”未完成：%(reason)s") % {"action": labels[step], "reason": describe_error(exc)})
    else:
        messages.success(request, _("已%(action)s") % {"action": labels[step]})
    return redirect("case-detail", number=case.number)
