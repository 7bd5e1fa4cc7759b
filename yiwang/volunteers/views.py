"""Pages of dual check-in and volunteer service.

Member phone page (/volunteers/mine/, residents with their registry row): check in with the home
community and pick posts, join the volunteers, claim and withdraw tasks, see this year's hours,
points and stars (with how they were computed) and past evaluations.

Community pages (staff, scoped): registrations to confirm or return, posts with their places,
tasks with their claims and the record of completion, yearly evaluations with the .docx export,
and the evaluations sent back to each party organization.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.utils.translation import gettext

from yiwang.core.pages import run_action, staff_required
from yiwang.core.params import year_param
from yiwang.core.scope import Action, get_in_scope, is_staff
from yiwang.party.models import PartyOrganization
from yiwang.regions.models import Level, Region
from yiwang.core.errors import apply_to_form, describe

from . import forms, rules, selectors, services
from .models import (
    ClaimStatus,
    Evaluation,
    Registration,
    RegistrationStatus,
    ServicePost,
    ServiceTask,
    TaskClaim,
    TaskStatus,
)


def _year(request) -> int:
    return year_param(request.GET.get("year"), timezone.localdate().year)


# Member phone page -------------------------------------------------------------------------------

@login_required
def mine(request):
    """The member's (or volunteer's) own page, made for a phone."""
    person = request.user.person
    if person is None:
        return render(request, "volunteers/mine.html", {"no_person": True})
    page = selectors.member_page(person)
    membership = page.membership
    can_register = (membership is not None and membership.in_service and page.community is not None
                    and (page.registration is None or page.registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)))
    from django.urls import NoReverseMatch

    try:
        points_bank_url = reverse("pointsbank:public")
    except NoReverseMatch:
        points_bank_url = ""
    return render(request, "volunteers/mine.html", {
        "page": page, "can_register": can_register, "points_bank_url": points_bank_url,
        "picked": {p.pk for p in page.registration.posts.all()} if page.registration else set(),
    })


def _own_person(request):
    person = request.user.person
    if person is None:
        raise PermissionDenied(gettext("请先到社区登记本人信息"))
    return person


@login_required
@require_POST
def mine_register(request):
    person = _own_person(request)
    membership = getattr(person, "party_membership", None)
    if membership is None:
        messages.error(request, "您不是党员，可以注册为志愿者参加服务。")
        return redirect("volunteers:mine")
    return run_action(request, lambda: services.register_member(member=membership, acting_user=request.user, posts=request.POST.getlist("posts"),
                                                                note=request.POST.get("note", "")),
                      success="已向社区报到，待社区确认。", label=forms.label, redirect_to="volunteers:mine")


@login_required
@require_POST
def mine_withdraw_registration(request, pk: int):
    person = _own_person(request)
    registration = Registration.objects.filter(pk=pk, person=person).first()
    if registration is None:
        raise Http404
    return run_action(request, lambda: services.withdraw_registration(registration, acting_user=request.user),
                      success="已撤回报到。", label=forms.label, redirect_to="volunteers:mine")


@login_required
@require_POST
def mine_volunteer(request):
    person = _own_person(request)
    return run_action(request, lambda: services.register_volunteer(person=person, acting_user=request.user, skills=request.POST.get("skills", "")),
                      success="已注册为社区志愿者。", label=forms.label, redirect_to="volunteers:mine")


@login_required
@require_POST
def mine_claim(request, pk: int):
    person = _own_person(request)
    task = ServiceTask.objects.filter(pk=pk).first()
    if task is None:
        raise Http404
    return run_action(request, lambda: services.claim_task(task=task, person=person, acting_user=request.user),
                      success=f"已认领“{task.title}”，请按时到岗。", label=forms.label, redirect_to="volunteers:mine")


@login_required
@require_POST
def mine_withdraw_claim(request, pk: int):
    person = _own_person(request)
    claim = TaskClaim.objects.filter(pk=pk, person=person).first()
    if claim is None:
        raise Http404
    return run_action(request, lambda: services.withdraw_claim(claim, acting_user=request.user),
                      success="已退出该任务。", label=forms.label, redirect_to="volunteers:mine")


# Community pages ---------------------------------------------------------------------------------

def _communities(user):
    return Region.objects.restrict(user, Action.CHANGE).filter(level=Level.COMMUNITY).order_by("path")


def _task_regions(user):
    return Region.objects.restrict(user, Action.CHANGE).filter(level__in=[Level.COMMUNITY, Level.GRID]).order_by("path")


@login_required
def index(request):
    """The community page: registrations, posts, tasks and evaluations of the year."""
    if not is_staff(request.user):
        return redirect("volunteers:mine")
    year = _year(request)
    registrations = (Registration.objects.restrict(request.user).filter(year=year).select_related("person", "community", "organization")
                     .prefetch_related("posts").order_by("status", "community__path", "person__name"))
    pending = [r for r in registrations if r.status == RegistrationStatus.PENDING]
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    evaluations = {e.registration_id: e for e in Evaluation.objects.filter(registration__in=[r.pk for r in confirmed])}
    rows = []
    for registration in confirmed:
        figures = selectors.registration_figures(registration)
        rows.append({"registration": registration, "figures": figures, "stars": rules.star_rating(figures["points"]),
                     "evaluation": evaluations.get(registration.pk)})
    posts = ServicePost.objects.restrict(request.user).select_related("community").annotate(
        taken=Count("registrations", filter=Q(registrations__year=year, registrations__status__in=["pending", "confirmed"])))
    tasks = selectors.with_taken(ServiceTask.objects.restrict(request.user).filter(starts_at__year=year)
                                 .select_related("community", "post")).order_by("-starts_at")[:60]
    communities = _communities(request.user)
    post_form = forms.PostForm(regions=communities, initial={"region": communities.first()})
    return render(request, "volunteers/index.html", {
        "year": year, "years": [year - 1, year, year + 1], "pending": pending, "rows": rows, "posts": posts.order_by("community__path", "title"),
        "tasks": tasks, "post_form": post_form if communities.exists() else None, "can_change": communities.exists(),
        "volunteers": selectors.Volunteer.objects.restrict(request.user).filter(active=True).count(),
        "organizations": PartyOrganization.objects.restrict(request.user).filter(
            pk__in=Evaluation.objects.values("organization")).order_by("name")[:50],
    })


@staff_required
@require_POST
def confirm(request, pk: int):
    registration = get_in_scope(request.user, Registration, Action.CHANGE, pk=pk)
    return run_action(request, lambda: services.confirm_registration(registration, acting_user=request.user),
                      success=f"已确认{registration.person.name}的报到。", label=forms.label,
                      redirect_to=f"{reverse('volunteers:index')}?year={registration.year}")


@staff_required
@require_POST
def reject(request, pk: int):
    registration = get_in_scope(request.user, Registration, Action.CHANGE, pk=pk)
    return run_action(request, lambda: services.reject_registration(registration, acting_user=request.user, reason=request.POST.get("reason", "")),
                      success=f"已退回{registration.person.name}的报到。", label=forms.label,
                      redirect_to=f"{reverse('volunteers:index')}?year={registration.year}")


@staff_required
@require_POST
def post_new(request):
    form = forms.PostForm(request.POST, regions=_communities(request.user))
    if form.is_valid():
        return run_action(request, lambda: services.create_post(acting_user=request.user, **form.cleaned_data),
                          success=f"已新增岗位“{form.cleaned_data['title']}”。", label=forms.label, redirect_to="volunteers:index")
    messages.error(request, "；".join(f"{form.fields[k].label if k in form.fields else ''}：{'，'.join(v)}" for k, v in form.errors.items()))
    return redirect("volunteers:index")


@staff_required
@require_POST
def post_toggle(request, pk: int):
    post = get_in_scope(request.user, ServicePost, Action.CHANGE, pk=pk)
    services.set_post_active(post, acting_user=request.user, active=not post.active)
    return redirect("volunteers:index")


@staff_required
def task_new(request):
    regions = _task_regions(request.user)
    posts = ServicePost.objects.restrict(request.user).filter(active=True).order_by("title")
    form = forms.TaskForm(request.POST or None, regions=regions, posts=posts, initial={"region": regions.first()})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        for name in ("starts_at", "ends_at"):
            if timezone.is_naive(data[name]):
                data[name] = timezone.make_aware(data[name])
        try:
            task = services.post_task(acting_user=request.user, **data)
        except ValidationError as exc:
            apply_to_form(form, exc, forms.label)
        else:
            messages.success(request, f"已发布任务“{task.title}”。")
            return redirect("volunteers:task", pk=task.pk)
    return render(request, "volunteers/task_form.html", {"form": form}, status=400 if form.errors else 200)


@staff_required
def task(request, pk: int):
    """A task with its claims; after the start, the form recording who served and for how long."""
    task = get_in_scope(request.user, ServiceTask, pk=pk)
    claims = list(task.claims.exclude(status=ClaimStatus.WITHDRAWN).select_related("person").order_by("claimed_at"))
    now = timezone.now()
    if request.method == "POST":
        get_in_scope(request.user, ServiceTask, Action.CHANGE, pk=pk)
        action = request.POST.get("action")
        try:
            if action == "cancel":
                services.cancel_task(task, acting_user=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, "任务已取消。")
            else:
                outcomes = {}
                for claim in claims:
                    if claim.status != ClaimStatus.CLAIMED:
                        continue
                    absent = request.POST.get(f"absent-{claim.pk}")
                    outcomes[claim.pk] = None if absent else request.POST.get(f"hours-{claim.pk}", "")
                services.record_completion(task, acting_user=request.user, outcomes=outcomes)
                messages.success(request, "已登记完成情况，积分已记入积分银行。")
        except ValidationError as exc:
            messages.error(request, describe(exc, forms.label))
        return redirect("volunteers:task", pk=pk)
    return render(request, "volunteers/task.html", {
        "task": task, "claims": claims, "taken": selectors.places_taken(task), "started": now >= task.starts_at,
        "can_record": task.status == TaskStatus.OPEN and now >= task.starts_at and any(c.status == ClaimStatus.CLAIMED for c in claims),
        "can_cancel": task.status == TaskStatus.OPEN,
    })


@staff_required
def evaluate(request, pk: int):
    """Issue (or revise) the yearly evaluation of a confirmed member."""
    registration = get_in_scope(request.user, Registration, pk=pk)
    existing = Evaluation.objects.filter(registration=registration).first()
    figures = selectors.registration_figures(registration)
    suggested = rules.suggest_grade(tasks=figures["tasks"], hours=figures["hours"])
    initial = {"grade": existing.grade, "comment": existing.comment} if existing else {"grade": suggested}
    form = forms.EvaluationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.issue_evaluation(registration, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_to_form(form, exc, forms.label)
        else:
            messages.success(request, f"已出具{registration.person.name}的{registration.year}年度评价。")
            return redirect(f"{reverse('volunteers:index')}?year={registration.year}")
    from .models import Grade

    return render(request, "volunteers/evaluate.html", {
        "registration": registration, "figures": figures, "stars": rules.star_rating(figures["points"]), "form": form,
        "existing": existing, "suggested": Grade(suggested).label,
        "claims": registration.claims.filter(status=ClaimStatus.COMPLETED).select_related("task").order_by("task__starts_at"),
    }, status=400 if form.errors else 200)


@staff_required
def evaluation_docx(request, pk: int):
    # Queued as a background export (yiwang.exports), like every other download of a document.
    from yiwang.exports.views import start_export

    return start_export(request, "volunteers.evaluation", {"evaluation": pk}, back="volunteers:index")


@staff_required
def evaluations(request):
    """Evaluations sent back to a party organization the user answers for (any issuing community)."""
    organizations = PartyOrganization.objects.restrict(request.user).filter(
        pk__in=Evaluation.objects.values("organization")).order_by("name")
    organization = None
    org_id = request.GET.get("org")
    if org_id and org_id.isdigit():
        organization = organizations.filter(pk=int(org_id)).first()
    year = _year(request) if request.GET.get("year") else None
    rows = list(selectors.evaluations_for_organization(organization, year)) if organization else []
    if organization and request.GET.get("format") == "docx":
        from yiwang.exports.views import start_export

        return start_export(request, "volunteers.organization", {"organization": organization.pk, "year": year}, back="volunteers:evaluations")
    return render(request, "volunteers/evaluations.html", {
        "organizations": organizations[:200], "organization": organization, "rows": rows, "year": year,
        "total_hours": sum((e.hours for e in rows), Decimal("0.0")),
    })
