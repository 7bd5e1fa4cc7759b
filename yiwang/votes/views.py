"""Pages of ballots and questionnaires.

Residents (votes:public): the ballots open to them now (cast a vote on a phone), upcoming ones,
and published results. A visitor is asked to log in; an account without a registry record is
asked to register at the community first.

Staff (votes:index, login, scoped): ballots in scope, create/edit a draft with its questions,
open / close / publish, turnout by grid, results once closed, export as .xlsx, and the half-yearly
vote on each grid's best livelihood project.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiwang.core.pages import run_action, staff_required
from yiwang.core.scope import Action, get_in_scope, role_allows
from yiwang.regions.models import Level, Region
from yiwang.registry.models import Person

from . import forms, selectors, services
from .models import Ballot, BallotKind, BallotStatus, Phase, QuestionKind

PAGE_SIZE = 50


def _may_change(user, ballot: Ballot) -> bool:
    return Ballot.objects.restrict(user, Action.CHANGE).filter(pk=ballot.pk).exists()


# Residents ---------------------------------------------------------------------------------------

def _voting_answers(request, questions) -> dict:
    """The POSTed answers by question id, in the shapes cast_vote takes."""
    answers = {}
    for question in questions:
        name = f"q{question.pk}"
        if question.kind == QuestionKind.MULTIPLE:
            answers[question.pk] = request.POST.getlist(name)
        else:
            answers[question.pk] = request.POST.get(name, "")
    return answers


@never_cache
def public(request):
    """/votes/public/: my ballots — voting now, upcoming, published results."""
    person = getattr(request.user, "person", None) if request.user.is_authenticated else None
    context = {"person": person}
    if person is not None:
        context |= selectors.resident_view(person)
    return render(request, "votes/public_list.html", context)


def _my_ballot(request, pk: int) -> tuple[Ballot, Person]:
    if not request.user.is_authenticated:
        raise Http404(_("没有这个投票或问卷"))
    person = request.user.person
    ballot = selectors.for_person(person).filter(pk=pk).first() if person else None
    if ballot is None:
        raise Http404(_("没有这个投票或问卷"))
    return ballot, person


@never_cache
def public_ballot(request, pk: int):
    """A ballot of mine: the voting form while it runs (once), otherwise its state or results."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    if request.user.person is None:
        return redirect("votes:public")
    ballot, person = _my_ballot(request, pk)
    questions = list(ballot.questions.prefetch_related("options").order_by("position", "id"))
    errors: dict[str, list[str]] = {}
    given: dict = {}
    status = 200
    if request.method == "POST":
        given = _voting_answers(request, questions)
        try:
            services.cast_vote(ballot=ballot, person=person, answers=given, acting_user=request.user)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            status = 400
        else:
            messages.success(request, _("投票成功，感谢您的参与！"))
            return redirect("votes:public-ballot", pk=ballot.pk)
    phase = ballot.phase()
    rows = [{"question": q, "error": errors.get(f"question_{q.pk}"), "given": given.get(q.pk),
             "given_list": [str(v) for v in given.get(q.pk) or []] if q.kind == QuestionKind.MULTIPLE else []} for q in questions]
    general = [m for key, ms in errors.items() if not key.startswith("question_") for m in ms]
    return render(request, "votes/public_ballot.html", {
        "ballot": ballot, "phase": phase, "rows": rows, "general_errors": general,
        "voted": selectors.person_has_voted(ballot, person), "ratings": forms.rating_choices(),
        "results": selectors.results(ballot) if selectors.results_visible(ballot, staff=False) else None,
    }, status=status)


# Staff -------------------------------------------------------------------------------------------

@staff_required
def index(request):
    """/votes/: ballots in scope, newest first, with filters."""
    ballots = Ballot.objects.restrict(request.user).select_related("region", "eligible_region", "eligible_building")
    kind, status, q = request.GET.get("kind", ""), request.GET.get("status", ""), request.GET.get("q", "").strip()
    if kind in BallotKind.values:
        ballots = ballots.filter(kind=kind)
    if status in BallotStatus.values:
        ballots = ballots.filter(status=status)
    if q:
        ballots = ballots.filter(title__icontains=q)
    page = Paginator(ballots.order_by("-opens_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(request, "votes/index.html", {
        "page": page, "rows": [{"ballot": b, "phase": b.phase_label(now), "votes": b.votes.count()} for b in page],
        "kinds": BallotKind.choices, "statuses": BallotStatus.choices, "kind": kind, "status": status, "q": q,
        "may_create": role_allows(request.user, Action.CHANGE),
    })


def _ballot_values(form) -> dict:
    data = form.cleaned_data
    building = data["eligible_building"]
    return {"region": data["region"], "title": data["title"], "kind": data["kind"], "description": data["description"],
            "period": data["period"], "eligible_region": None if building else data["eligible_region"], "eligible_building": building,
            "opens_at": data["opens_at"], "closes_at": data["closes_at"], "publish_on_close": data["publish_on_close"]}


@staff_required
def ballot_new(request):
    if not role_allows(request.user, Action.CHANGE):
        raise PermissionDenied
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = {"opens_at": now, "closes_at": now + timedelta(days=7), "publish_on_close": True, "kind": BallotKind.SATISFACTION}
    if request.user.scope_region_id:
        initial |= {"region": request.user.scope_region.code, "eligible_region": request.user.scope_region.code}
    form = forms.BallotForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ballot = services.create_ballot(acting_user=request.user, **_ballot_values(form))
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("已创建草稿，请添加题目后开启。"))
            return redirect("votes:detail", pk=ballot.pk)
    return render(request, "votes/ballot_form.html", {"form": form, "ballot": None}, status=400 if form.errors else 200)


@staff_required
def ballot_edit(request, pk: int):
    ballot = get_in_scope(request.user, Ballot, Action.CHANGE, pk=pk)
    if ballot.status != BallotStatus.DRAFT:
        messages.error(request, _("投票已开启，不能再修改。"))
        return redirect("votes:detail", pk=ballot.pk)
    initial = {"title": ballot.title, "kind": ballot.kind, "region": ballot.region.code, "description": ballot.description,
               "period": ballot.period, "eligible_region": ballot.eligible_region.code if ballot.eligible_region_id else None,
               "eligible_building": ballot.eligible_building.code if ballot.eligible_building_id else "",
               "opens_at": timezone.localtime(ballot.opens_at), "closes_at": timezone.localtime(ballot.closes_at),
               "publish_on_close": ballot.publish_on_close}
    form = forms.BallotForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_ballot(ballot, acting_user=request.user, **_ballot_values(form))
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("votes:detail", pk=ballot.pk)
    return render(request, "votes/ballot_form.html", {"form": form, "ballot": ballot}, status=400 if form.errors else 200)


@staff_required
def detail(request, pk: int):
    """A ballot for staff: questions (editable as a draft), actions, turnout by grid, results once closed."""
    ballot = get_in_scope(request.user, Ballot, pk=pk)
    return _render_detail(request, ballot, forms.QuestionForm(initial={"required": True}))


def _render_detail(request, ballot: Ballot, question_form, status: int = 200):
    now = timezone.now()
    phase = ballot.phase(now)
    turnout = selectors.turnout_by_grid(ballot)
    visible = selectors.results_visible(ballot, staff=True, now=now)
    return render(request, "votes/detail.html", {
        "ballot": ballot, "phase": phase, "phase_label": Phase(phase).label,
        "questions": ballot.questions.prefetch_related("options__person", "options__user").order_by("position", "id"),
        "question_form": question_form, "may_change": _may_change(request.user, ballot),
        "turnout": turnout, "turnout_total": selectors.turnout_total(turnout),
        "results": selectors.results(ballot) if visible else None, "results_visible": visible,
        "can_close": ballot.status == BallotStatus.OPEN and phase in (Phase.SCHEDULED, Phase.VOTING),
        "can_publish": phase == Phase.CLOSED,
    }, status=status)


def _person_lookup(user):
    return lambda pk: Person.objects.restrict(user, Action.VIEW).filter(pk=pk).first()


@staff_required
@require_POST
def question_add(request, pk: int):
    ballot = get_in_scope(request.user, Ballot, Action.CHANGE, pk=pk)
    form = forms.QuestionForm(request.POST)
    if form.is_valid():
        try:
            data = form.cleaned_data
            services.add_question(ballot, acting_user=request.user, text=data["text"], kind=data["kind"], required=data["required"],
                                  max_choices=data["max_choices"], options=form.option_specs(_person_lookup(request.user)))
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("已添加题目。"))
            return redirect("votes:detail", pk=ballot.pk)
    return _render_detail(request, ballot, form, status=400)


@staff_required
@require_POST
def question_delete(request, pk: int, question_id: int):
    ballot = get_in_scope(request.user, Ballot, Action.CHANGE, pk=pk)
    question = ballot.questions.filter(pk=question_id).first()
    if question is None:
        raise Http404(_("没有这个问题"))
    return run_action(request, lambda: services.delete_question(question, acting_user=request.user), success=_("已删除题目。"),
                      explain=forms.describe_error, redirect_to=("votes:detail", ballot.pk))


ACTIONS = {
    "open": (services.open_ballot, _("投票已开启。")),
    "close": (services.close_ballot, _("投票已截止。")),
    "publish": (services.publish_results, _("结果已公布。")),
}


@staff_required
@require_POST
def act(request, pk: int, action: str):
    if action not in ACTIONS and action != "delete":
        raise Http404(_("没有这项操作"))
    ballot = get_in_scope(request.user, Ballot, Action.CHANGE, pk=pk)
    try:
        if action == "delete":
            services.delete_ballot(ballot, acting_user=request.user)
            messages.success(request, _("已删除草稿。"))
            return redirect("votes:index")
        service, done = ACTIONS[action]
        service(ballot, acting_user=request.user)
        messages.success(request, done)
    except ValidationError as exc:
        messages.error(request, forms.describe_error(exc))
    return redirect("votes:detail", pk=ballot.pk)


@login_required
def export(request, pk: int):
    """The results (and turnout by grid) as .xlsx, once the ballot has closed."""
    # Queued as a background export (yiwang.exports); the rows are selectors.export_sheet's.
    from yiwang.exports.views import start_export

    return start_export(request, "votes.results", {"ballot": pk}, back=reverse("votes:detail", args=[pk]))


@staff_required
def grid_projects(request):
    """The half-yearly vote: pick a community, list each grid's candidate projects, create (and
    open) one ballot per grid that has candidates."""
    if not role_allows(request.user, Action.CHANGE):
        raise PermissionDenied
    now = timezone.localtime().replace(second=0, microsecond=0)
    code = (request.POST if request.method == "POST" else request.GET).get("community") or ""
    initial = {"opens_at": now, "closes_at": now + timedelta(days=14), "community": code or None}
    form = forms.GridProjectsForm(request.POST if request.method == "POST" else None, user=request.user, initial=initial)
    community = None
    if code:
        community = Region.objects.restrict(request.user, Action.CHANGE).filter(code=code, level=Level.COMMUNITY).first()
    grids = list(Region.objects.filter(path__startswith=community.path, level=Level.GRID).order_by("path")) if community else []
    texts = {g.pk: request.POST.get(f"grid_{g.pk}", "") for g in grids}
    grid_errors: dict[int, list[str]] = {}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            candidates = {g: [line for line in texts[g.pk].splitlines() if line.strip()] for g in grids if texts[g.pk].strip()}
            data = form.cleaned_data
            try:
                ballots = services.create_grid_project_votes(
                    acting_user=request.user, community=data["community"], period=data["period"], candidates=candidates,
                    opens_at=data["opens_at"], closes_at=data["closes_at"])
            except ValidationError as exc:
                for key, msgs in exc.message_dict.items():
                    if key.startswith("grid_") and key[5:].isdigit():
                        grid_errors[int(key[5:])] = msgs
                    else:
                        forms.apply_errors(form, ValidationError({key: msgs}))
            else:
                messages.success(request, _("已为 %(n)s 个网格开启项目评选。") % {"n": len(ballots)})
                return redirect(f"{reverse('votes:index')}?kind=project")
    rows = [{"grid": g, "text": texts[g.pk], "errors": grid_errors.get(g.pk)} for g in grids]
    return render(request, "votes/grid_projects.html", {"form": form, "community": community, "rows": rows}, status=status)
