"""Pages for the party alliance: the alliances in scope; one alliance with its member units, the
three lists, projects and meetings (and the quarters without one); a need with the form that turns
it into a project; a project with its milestones to mark done; recording a joint meeting; a unit's
record. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiwang.core.pages import run_action, staff_required
from yiwang.core.scope import Action, get_in_scope
from yiwang.core import errors

from . import selectors, services
from .forms import (
    AllianceForm, DoneForm, LeaveForm, MeetingForm, MemberForm, MilestoneForm, NeedForm, ProgressForm, ProjectForm, ReasonForm,
    ResourceForm, put_errors,
)
from .models import Alliance, AllianceMeeting, AllianceMember, AllianceMilestone, AllianceNeed, AllianceProject, NeedStatus


def _projects(queryset):
    milestones = Prefetch("milestones", queryset=AllianceMilestone.objects.select_related("unit__department").order_by("position", "id"))
    return queryset.select_related("lead__department", "need", "region").prefetch_related("cooperating__department", milestones)


@staff_required
def index(request):
    user = request.user
    alliances = list(selectors.alliances_in_scope(user))
    for alliance in alliances:
        alliance.missing = selectors.missing_quarters(alliance, limit=4)
    form = AllianceForm(user=user)
    if request.method == "POST":
        form = AllianceForm(request.POST, user=user)
        if form.is_valid():
            try:
                alliance = services.create_alliance(acting_user=user, **form.cleaned_data)
            except ValidationError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, f"已成立 {alliance.name}")
                return redirect("alliance:detail", alliance.pk)
    projects = AllianceProject.objects.restrict(user)
    return render(request, "alliance/index.html", {
        "alliances": alliances, "form": form, "may_create": form.fields["region"].queryset.exists(),
        "overdue": selectors.overdue_milestones(projects).select_related("project", "unit__department", "project__lead__department")[:20],
    })


@staff_required
def detail(request, pk: int):
    user = request.user
    alliance = get_in_scope(user, Alliance, Action.VIEW, pk=pk)
    may_change = services.may_change(user, alliance)
    needs = AllianceNeed.objects.restrict(user).filter(alliance=alliance).select_related("region")
    status = request.GET.get("need_status", "")
    if status in NeedStatus.values:
        needs = needs.filter(status=status)
    members = list(alliance.members.select_related("department", "party_organization").order_by("left_on", "joined_on", "id"))
    return render(request, "alliance/detail.html", {
        "alliance": alliance, "may_change": may_change, "members": members,
        "needs": needs[:100], "need_status": status, "need_statuses": NeedStatus.choices,
        "resources": alliance.resources.select_related("unit__department").order_by("-available", "kind", "id"),
        "projects": _projects(AllianceProject.objects.restrict(user).filter(alliance=alliance)),
        "meetings": alliance.meetings.prefetch_related("attendees__department", "decisions__project")[:12],
        "quarters": selectors.meeting_quarters(alliance),
        "member_form": MemberForm(alliance=alliance) if may_change else None,
        "need_form": NeedForm(alliance=alliance, user=user),
        "resource_form": ResourceForm(alliance=alliance) if may_change else None,
    })


def _back_with_error(request, exc: ValidationError, to):
    messages.error(request, errors.describe(exc))
    return to


@login_required
@require_POST
def add_member(request, pk: int):
    alliance = get_in_scope(request.user, Alliance, Action.VIEW, pk=pk)
    form = MemberForm(request.POST, alliance=alliance)
    back = f"{_url(alliance)}#members"
    if form.is_valid():
        return run_action(request, lambda: services.add_member(alliance, acting_user=request.user, **form.cleaned_data),
                          success=lambda member: f"{member.label} 已加入联盟", redirect_to=back)
    messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
    return redirect(back)


@login_required
@require_POST
def raise_need(request, pk: int):
    alliance = get_in_scope(request.user, Alliance, Action.VIEW, pk=pk)
    form = NeedForm(request.POST, alliance=alliance, user=request.user)
    if form.is_valid():
        try:
            need = services.raise_need(alliance, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, errors.describe(exc))
        else:
            messages.success(request, f"需求“{need.title}”已列入需求清单")
            return redirect("alliance:need", need.pk)
    else:
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
    return redirect(f"{_url(alliance)}#needs")


@login_required
@require_POST
def offer_resource(request, pk: int):
    alliance = get_in_scope(request.user, Alliance, Action.VIEW, pk=pk)
    form = ResourceForm(request.POST, alliance=alliance)
    back = f"{_url(alliance)}#resources"
    if form.is_valid():
        return run_action(request, lambda: services.offer_resource(alliance, acting_user=request.user, **form.cleaned_data),
                          success="资源已列入资源清单", redirect_to=back)
    messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
    return redirect(back)


def _url(alliance) -> str:
    from django.urls import reverse

    return reverse("alliance:detail", args=[alliance.pk])


@staff_required
def need(request, pk: int):
    """A need, and the form that makes it a project (立项)."""
    user = request.user
    # Like projects, a need is read by whoever sees its alliance (projects link to their need).
    item = (AllianceNeed.objects.restrict(user).filter(pk=pk).first()
            or AllianceNeed.objects.filter(pk=pk, alliance__in=Alliance.objects.restrict(user, Action.VIEW)).first())
    if item is None:
        raise Http404
    alliance = item.alliance
    may_change = services.may_change(user, alliance)
    form = ProjectForm(alliance=alliance, initial={"title": item.title})
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = ProjectForm(request.POST, alliance=alliance)
        if form.is_valid():
            data = services.ProjectInput(
                title=form.cleaned_data["title"], description=form.cleaned_data["description"], lead=form.cleaned_data["lead"],
                cooperating=list(form.cleaned_data["cooperating"]), resources=list(form.cleaned_data["resources"]), need=item,
                starts_on=form.cleaned_data["starts_on"], due_on=form.cleaned_data["due_on"], milestones=form.milestones())
            try:
                project = services.create_project(alliance, data, acting_user=user)
            except ValidationError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, f"已立项：{project.title}")
                return redirect("alliance:project", project.pk)
    return render(request, "alliance/need.html", {
        "need": item, "alliance": alliance, "may_change": may_change, "form": form, "close_form": ReasonForm(),
        "projects": _projects(item.projects.all()),
    })


@login_required
@require_POST
def close_need(request, pk: int):
    item = get_in_scope(request.user, AllianceNeed, Action.VIEW, pk=pk)
    form = ReasonForm(request.POST)
    return run_action(request, lambda: services.close_need(item, acting_user=request.user, reason=form.data.get("reason", "")),
                      success="需求已关闭", redirect_to=("alliance:need", item.pk))


@staff_required
def project(request, pk: int):
    user = request.user
    # Meetings and the overdue list name projects across the alliance, so a project may be read by
    # anyone who sees its alliance; changing it still needs scope over it (services).
    visible = AllianceProject.objects.restrict(user).filter(pk=pk) | AllianceProject.objects.filter(
        pk=pk, alliance__in=Alliance.objects.restrict(user, Action.VIEW))
    item = _projects(visible.distinct()).first()
    if item is None:
        raise Http404
    milestones = list(item.milestones.all())
    for milestone in milestones:
        milestone.may_mark = item.is_open and milestone.done_on is None and services.may_mark_milestone(user, milestone)
    may_change = services.may_change(user, item.alliance)
    decision = getattr(item, "decision", None)
    return render(request, "alliance/project.html", {
        "project": item, "alliance": item.alliance, "milestones": milestones, "may_change": may_change and item.is_open,
        "done_form": DoneForm(), "progress_form": ProgressForm(initial={"progress": item.progress}),
        "milestone_form": MilestoneForm(project=item), "cancel_form": ReasonForm(), "decision": decision,
        "today": timezone.localdate(),
    })


@login_required
@require_POST
def milestone_done(request, pk: int):
    milestone = get_in_scope(request.user, AllianceMilestone, Action.VIEW, pk=pk)
    form = DoneForm(request.POST)
    back = ("alliance:project", milestone.project_id)
    if form.is_valid():
        return run_action(request, lambda: services.complete_milestone(milestone, acting_user=request.user, done_on=form.cleaned_data["done_on"],
                                                                       note=form.cleaned_data["note"]),
                          success=f"节点“{milestone.title}”已完成", redirect_to=back)
    messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
    return redirect(*back)


@login_required
@require_POST
def project_action(request, pk: int, action: str):
    """Progress, a new milestone or cancelling, from the project page."""
    item = get_in_scope(request.user, AllianceProject, Action.VIEW, pk=pk)
    forms_by_action = {"progress": ProgressForm, "milestone": lambda data: MilestoneForm(data, project=item), "cancel": ReasonForm}
    if action not in forms_by_action:
        raise PermissionDenied
    form = forms_by_action[action](request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
        return redirect("alliance:project", item.pk)
    back = ("alliance:project", item.pk)
    if action == "progress":
        return run_action(request, lambda: services.set_progress(item, acting_user=request.user, **form.cleaned_data),
                          success="进度已更新", redirect_to=back)
    if action == "milestone":
        return run_action(request, lambda: services.add_milestone(item, acting_user=request.user, **form.cleaned_data),
                          success="已增加节点", redirect_to=back)
    return run_action(request, lambda: services.cancel_project(item, acting_user=request.user, reason=form.cleaned_data["reason"]),
                      success="项目已撤销", redirect_to=back)


@staff_required
def meeting_new(request, pk: int):
    user = request.user
    alliance = get_in_scope(user, Alliance, Action.VIEW, pk=pk)
    if not services.may_change(user, alliance):
        raise PermissionDenied
    form = MeetingForm(alliance=alliance, initial={"attendees": _active_ids(alliance)})
    if request.method == "POST":
        form = MeetingForm(request.POST, alliance=alliance)
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = services.record_meeting(alliance, acting_user=user, held_on=data["held_on"], topic=data["topic"], place=data["place"],
                                                  minutes=data["minutes"], attendees=list(data["attendees"]),
                                                  decisions=form.decisions(starts_on=data["held_on"]))
            except ValidationError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, f"已记录 {meeting.quarter_label} 联席会议")
                return redirect("alliance:meeting", meeting.pk)
    return render(request, "alliance/meeting_form.html", {"alliance": alliance, "form": form})


def _active_ids(alliance) -> list[int]:
    return list(alliance.members.filter(left_on__isnull=True).values_list("pk", flat=True))


@staff_required
def meeting(request, pk: int):
    user = request.user
    item = get_in_scope(user, AllianceMeeting, Action.VIEW, pk=pk)
    return render(request, "alliance/meeting.html", {
        "meeting": item, "alliance": item.alliance, "attendees": item.attendees.select_related("department"),
        "decisions": item.decisions.select_related("project__lead__department"),
    })


@staff_required
def unit(request, pk: int):
    """A member unit's record over a year: projects, milestones, needs, summonses."""
    user = request.user
    member = get_in_scope(user, AllianceMember, Action.VIEW, pk=pk)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year + 1)
    since, until = selectors.year_bounds(year)
    record = selectors.unit_record(member, since=since, until=until)
    ids = record["records"]
    projects = _projects(AllianceProject.objects.restrict(user).filter(pk__in=[*ids["projects_led"], *ids["projects_joined"]]))
    may_change = services.may_change(user, member.alliance)
    return render(request, "alliance/unit.html", {
        "member": member, "alliance": member.alliance, "record": record, "year": year, "years": list(range(today.year, today.year - 4, -1)),
        "projects": projects, "led_ids": set(ids["projects_led"]),
        "leave_form": LeaveForm() if may_change and member.left_on is None else None,
        "met_minimum": record["summonses_answered"] >= record["summonses_required"],
        "since": since, "until_last": date.fromordinal(until.toordinal() - 1),
    })


@login_required
@require_POST
def leave(request, pk: int):
    member = get_in_scope(request.user, AllianceMember, Action.VIEW, pk=pk)
    form = LeaveForm(request.POST)
    if form.is_valid():
        return run_action(request, lambda: services.end_membership(member, acting_user=request.user, **form.cleaned_data),
                          success=f"{member.label} 已退出联盟", redirect_to=("alliance:unit", member.pk))
    messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
    return redirect("alliance:unit", member.pk)
