"""Summons (吹哨报到) from the case page: a coordinator summons departments or people with a reason;
each summoned party checks in and reports its task done; the summoner rates the party. The summons
list shows every summons in the user's scope with each party's check-in (on time, late, not yet)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.pages import require_staff, staff_required
from yiwang.core.params import int_param
from yiwang.core.scope import get_in_scope

from .. import selectors, services
from ..lifecycle import IllegalTransition
from ..models import Case, SummonsPart
from ..selectors import dispatch_departments, summon_candidates
from .common import ACTION_LABELS, describe_error, float_param

# Rows of parties (a department or a person) the case page's summons form offers.
SUMMON_ROWS = 3
SUMMONS_PAGE_SIZE = 20


@login_required
@require_POST
def case_summon(request, number: str):
    require_staff(request.user)
    user = request.user
    case = get_in_scope(user, Case, number=number)
    departments = dispatch_departments(case)
    people = summon_candidates(user)
    reason = request.POST.get("reason", "").strip()
    try:
        if not reason:
            raise ValidationError({"reason": _("请写明吹哨事由")})
        parts = []
        for i in range(SUMMON_ROWS):
            dept_pk, member_pk = request.POST.get(f"part-{i}-department", ""), request.POST.get(f"part-{i}-member", "")
            task = request.POST.get(f"part-{i}-task", "").strip()
            if not dept_pk and not member_pk and not task:
                continue
            if dept_pk and member_pk:
                raise ValidationError({f"parts[{i + 1}]": _("每行只选一个部门或一名人员")})
            department = departments.filter(pk=int_param(dept_pk)).first() if dept_pk else None
            if dept_pk and department is None:
                raise ValidationError({f"parts[{i + 1}]": _("请从列表中选择部门")})
            member = people.filter(pk=int_param(member_pk)).first() if member_pk else None
            if member_pk and member is None:
                raise ValidationError({f"parts[{i + 1}]": _("请从列表中选择人员")})
            hours = float_param(request.POST.get(f"part-{i}-hours") or 2)
            if hours is None or hours <= 0:
                raise ValidationError({f"parts[{i + 1}]": _("报到时限应为正数（工作小时）")})
            parts.append({"department": department, "member": member, "task": task, "checkin_hours": hours})
        services.do_summon(case, acting_user=user, reason=reason, parts=parts)
    except (ValidationError, PermissionDenied, IllegalTransition) as exc:
        messages.error(request, _("“%(action)s”未完成：%(reason)s") % {"action": ACTION_LABELS["summon"], "reason": describe_error(exc)})
    else:
        messages.success(request, _("已吹哨，等待报到"))
    return redirect("case-detail", number=case.number)


@login_required
@require_POST
def summons_part_step(request, part_id: int, step: str):
    """A summoned party checks in or reports its task done; the summoner rates the party. A person
    summoned by name may act from the summons list even when the case lies outside their scope."""
    require_staff(request.user)
    user = request.user
    visible = SummonsPart.objects.restrict(user) | SummonsPart.objects.filter(member_id=user.pk)
    part = get_object_or_404(visible.select_related("summons", "summons__case").distinct(), pk=part_id)
    case = part.summons.case
    stars = int_param(request.POST.get("stars"))
    labels = {"check-in": _("报到"), "done": _("完成任务"), "rate": _("评价报到单位")}
    if step not in labels:
        raise Http404
    try:
        if step == "check-in":
            part = services.do_check_in(part, acting_user=user)
        elif step == "done":
            services.do_finish_part(part, acting_user=user, result=request.POST.get("result", ""), rating_of_summoner=stars)
        else:
            services.do_rate_participant(part, acting_user=user, stars=stars)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _("“%(action)s”未完成：%(reason)s") % {"action": labels[step], "reason": describe_error(exc)})
    else:
        if step == "check-in" and part.checked_in_at > part.checkin_due_at:
            messages.warning(request, _("已报到（迟到：报到时限为%(due)s）") % {"due": timezone.localtime(part.checkin_due_at).strftime("%m-%d %H:%M")})
        else:
            messages.success(request, _("已%(action)s") % {"action": labels[step]})
    if request.POST.get("back") == "list" or not Case.objects.restrict(user).filter(pk=case.pk).exists():
        return redirect("summons-list")
    return redirect("case-detail", number=case.number)


@staff_required
def summons_list(request):
    """Every summons the user may see, newest first, as cards: who was summoned, their check-in (on
    time, late, not yet) and the ratings each way; filtered by state."""
    user, now = request.user, timezone.now()
    state = request.GET.get("state", "")
    if state not in selectors.SUMMONS_FILTERS:
        state = ""
    page = Paginator(selectors.summons_list(user, state=state, now=now), SUMMONS_PAGE_SIZE).get_page(request.GET.get("page"))
    dept_ids = set(user.departments.values_list("pk", flat=True))
    for summons in page:
        for part in summons.parts.all():
            part.checkin_label = selectors.CHECKIN_STATES[part.checkin_state]
            part.can_check_in = part.checked_in_at is None and (part.member_id == user.pk or part.department_id in dept_ids)
    return render(request, "cases/summons_list.html", {
        "page": page, "state": state, "filters": selectors.SUMMONS_FILTERS.items(),
        "counts": selectors.summons_counts(user, now=now),
    })
