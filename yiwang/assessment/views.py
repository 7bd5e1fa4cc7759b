"""Assessment pages: grid-worker rankings by community and each worker's computation with the
records behind it (and the yearly review), departments' scores with their cases and summonses,
property companies' red-yellow-green lights with the rules, and honour rounds. Thin: parse, call a
selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiwang.core.pages import run_action, staff_required
from yiwang.core.params import int_param
from yiwang.cases.models import Case, SummonsPart
from yiwang.core.scope import Action, Role, get_in_scope, scope_path
from yiwang.matters.models import Department
from yiwang.regions.models import Level, Region
from yiwang.registry.models import Place, PlaceKind
from yiwang.core import errors

from . import scoring, selectors, services
from .models import HonourKind, HonourRound, Nomination, ReviewGrade, RoundStatus, WorkerReview

LABELS = {"grade": "等次", "year": "年度", "worker": "网格员", "kind": "荣誉", "region": "区域", "places": "名额",
          "round": "评选", "ballot": "投票", "reason": "推荐理由", "name": "候选人", "awarded": "当选"}


def _label(key: str) -> str:
    return LABELS.get(key, key)


def _year(request, *, field: str = "year", source=None) -> int:
    """The year asked for (GET, or `source`), kept within 2000..this year (local time)."""
    this_year = timezone.localdate().year
    year = int_param((source if source is not None else request.GET).get(field), this_year)
    return min(max(year, 2000), this_year)


def _root(request) -> Region:
    """The region the page is about: ?region=<code> inside the user's scope, else their scope."""
    code = request.GET.get("region")
    if code:
        return get_in_scope(request.user, Region, code=code)
    user = request.user
    if user.scope_region_id:
        return user.scope_region
    if scope_path(user) == "":
        found = Region.objects.filter(parent__isnull=True).order_by("path").first()
        if found:
            return found
    raise PermissionDenied


def _context(request, **extra):
    year = _year(request)
    this_year = timezone.localdate().year
    return {"year": year, "years": list(range(this_year, this_year - 4, -1)),
            "may_review": request.user.is_superuser or request.user.role in services.REVIEWER_ROLES, **extra}


@login_required
def index(request):
    return workers(request)


@staff_required
def workers(request):
    root = _root(request)
    context = _context(request)
    since, until = selectors.year_period(context["year"])
    rows = selectors.grid_worker_ranking(region=root, since=since, until=until)
    reviews = dict(WorkerReview.objects.filter(year=context["year"], worker__in=[r.worker for r in rows]).values_list("worker", "grade"))
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.community.name if row.community else "—", []).append(row)
    return render(request, "assessment/workers.html", {
        **context, "root": root, "groups": groups, "reviews": reviews, "grades": dict(ReviewGrade.choices), "tab": "workers",
        "rules": _rule_rows(prefix="worker.")})


def _rule_rows(*, prefix: str) -> list[tuple[str, str, float, str]]:
    values = selectors.rules()
    return [(code, label, values[code], note) for code, (label, _default, note) in scoring.DEFAULT_RULES.items() if code.startswith(prefix)]


@staff_required
def worker_detail(request, pk: int):
    worker = get_user_model().objects.filter(pk=pk, role=Role.GRID_WORKER).select_related("scope_region").first()
    if worker is None or worker.scope_region is None:
        raise PermissionDenied
    grid = get_in_scope(request.user, Region, pk=worker.scope_region_id)
    context = _context(request)
    since, until = selectors.year_period(context["year"])
    community = selectors._communities_of([grid]).get(grid.pk)
    rows = selectors.grid_worker_ranking(region=community or grid, since=since, until=until)
    row = next((r for r in rows if r.worker.pk == worker.pk), None)
    if row is None:
        raise PermissionDenied
    counted_in = (community or grid).path
    ledger = Paginator(selectors.worker_ledger(worker=worker, region_path=counted_in, since=since, until=until), 50).get_page(request.GET.get("page"))
    records = selectors.worker_records(worker=worker, region_path=counted_in, since=since, until=until)
    review = WorkerReview.objects.filter(worker=worker, year=context["year"]).select_related("reviewed_by").first()
    return render(request, "assessment/worker_detail.html", {
        **context, "worker": worker, "row": row, "ledger": ledger, "review": review, "grades": ReviewGrade.choices, "tab": "workers",
        "rules": _rule_rows(prefix="worker."),
        # Each list is capped for the page; its heading gives the full count the score used.
        "patrols": records["patrols"][:100], "visits": records["visits"][:100], "findings": records["findings"][:100],
        "checks": records["checks"][:100],
        "record_counts": {name: {c.code: c.count for c in row.score.components}[code]
                          for name, code in (("patrols", "patrols"), ("visits", "visits"), ("findings", "cases_opened"),
                                             ("checks", "campaign_checks"))},
    })


@login_required
@require_POST
def review_worker(request, pk: int):
    worker = get_user_model().objects.filter(pk=pk).first()
    if worker is None:
        raise PermissionDenied
    year = _year(request, source=request.POST)
    return run_action(request, lambda: services.sign_review(worker=worker, year=year, grade=request.POST.get("grade", ""),
                                                            comment=request.POST.get("comment", ""), acting_user=request.user),
                      success=f"已评定 {worker.get_full_name() or worker.username} {year} 年度考评", label=_label,
                      redirect_to=f"/assessment/workers/{worker.pk}/?year={year}")


@staff_required
def departments(request):
    context = _context(request)
    since, until = selectors.year_period(context["year"])
    rows = selectors.department_scores(cases=Case.objects.restrict(request.user), parts=SummonsPart.objects.restrict(request.user),
                                       since=since, until=until)
    return render(request, "assessment/departments.html", {**context, "rows": rows, "tab": "departments",
                                                            "rules": _rule_rows(prefix="department.")})


@staff_required
def department_detail(request, pk: int):
    department = Department.objects.filter(pk=pk).first()
    if department is None:
        raise PermissionDenied
    context = _context(request)
    since, until = selectors.year_period(context["year"])
    cases, parts = Case.objects.restrict(request.user), SummonsPart.objects.restrict(request.user)
    row = next((r for r in selectors.department_scores(cases=cases.filter(handling_department=department),
                                                       parts=parts.filter(department=department), since=since, until=until)
                if r.department.pk == department.pk), None)
    case_page = Paginator(selectors.department_cases(cases=cases, department=department, since=since, until=until)
                          .select_related("matter", "region"), 50).get_page(request.GET.get("page"))
    return render(request, "assessment/department_detail.html", {
        **context, "department": department, "row": row, "cases": case_page, "now": timezone.now(), "tab": "departments",
        "parts": selectors.department_parts(parts=parts, department=department, since=since, until=until)[:200],
        "rules": _rule_rows(prefix="department.")})


@staff_required
def property_companies(request):
    context = _context(request)
    since, until = selectors.year_period(context["year"])
    rows = selectors.property_ratings(companies=selectors.property_companies(Place.objects.restrict(request.user)), since=since, until=until)
    return render(request, "assessment/property.html", {**context, "rows": rows, "tab": "property", "rules": _rule_rows(prefix="property.")})


@staff_required
def property_detail(request, pk: int):
    company = get_in_scope(request.user, Place, pk=pk, kind=PlaceKind.PROPERTY_COMPANY)
    context = _context(request)
    since, until = selectors.year_period(context["year"])
    row = selectors.property_ratings(companies=[company], since=since, until=until)[0]
    # The light counts every case in the company's areas; the lists show only those this user may open.
    in_scope = Case.objects.restrict(request.user).values("pk")
    complaints = (selectors.property_complaints(row.areas, since=since, until=until).filter(pk__in=in_scope)
                  .select_related("matter", "region").order_by("-reported_at"))
    rated = (selectors.property_cases(row.areas, since=since, until=until).filter(pk__in=in_scope).exclude(rating="")
             .select_related("matter").order_by("-rated_at"))
    return render(request, "assessment/property_detail.html", {
        **context, "row": row, "company": company, "complaints": complaints[:200], "rated": rated[:200], "tab": "property",
        "rules": _rule_rows(prefix="property.")})


# Honours ---------------------------------------------------------------------------------------

@staff_required
def honours(request):
    rounds = HonourRound.objects.restrict(request.user).select_related("region").order_by("-year", "kind")
    if request.method == "POST":
        try:
            region = get_in_scope(request.user, Region, Action.CHANGE, code=request.POST.get("region", ""))
            honour_round = services.open_round(kind=request.POST.get("kind", ""), region=region, year=int_param(request.POST.get("year"), 0),
                                               places=int_param(request.POST.get("places"), 0), title=request.POST.get("title", ""),
                                               acting_user=request.user)
            return redirect("assessment:round", pk=honour_round.pk)
        except ValidationError as exc:
            messages.error(request, errors.describe(exc, _label))
    regions = Region.objects.restrict(request.user).filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY]).order_by("path")
    return render(request, "assessment/honours.html", {**_context(request), "rounds": rounds, "kinds": HonourKind.choices,
                                                        "regions": regions[:300], "tab": "honours"})


def _ballots_for(honour_round: HonourRound, user) -> list:
    """Published votes in the round's region, to nominate from."""
    from yiwang.votes.models import Ballot, BallotStatus, Phase

    found = (Ballot.objects.restrict(user).filter(region__path__startswith=honour_round.region.path)
             .exclude(status=BallotStatus.DRAFT).order_by("-closes_at")[:50])
    return [ballot for ballot in found if ballot.phase() == Phase.PUBLISHED]


@staff_required
def honour_round(request, pk: int):
    found = get_in_scope(request.user, HonourRound, pk=pk)
    if request.method == "POST":
        how = request.POST.get("how")
        try:
            if how == "records":
                made = services.nominate_from_records(honour_round=found, acting_user=request.user)
                messages.success(request, f"按工作记录提名 {len(made)} 人")
            elif how == "ballot":
                from yiwang.votes.models import Ballot

                ballot = get_in_scope(request.user, Ballot, pk=int_param(request.POST.get("ballot"), 0))
                made = services.nominate_from_ballot(honour_round=found, ballot=ballot, acting_user=request.user)
                messages.success(request, f"按群众投票提名 {len(made)} 人")
            elif how == "manual":
                services.nominate(honour_round=found, name=request.POST.get("name", ""), reason=request.POST.get("reason", ""),
                                  acting_user=request.user)
                messages.success(request, "已提名")
            elif how == "decide":
                services.decide_round(honour_round=found, awarded=[int_param(v, 0) for v in request.POST.getlist("awarded") if int_param(v, 0)],
                                      acting_user=request.user)
                messages.success(request, "已评定")
        except ValidationError as exc:
            messages.error(request, errors.describe(exc, _label))
        return redirect("assessment:round", pk=found.pk)
    nominations = Nomination.objects.filter(round=found).select_related("user", "person").order_by("-awarded", "-score", "name")
    return render(request, "assessment/round.html", {
        **_context(request), "round": found, "nominations": nominations, "ballots": _ballots_for(found, request.user),
        "open": found.status == RoundStatus.NOMINATING, "tab": "honours",
        "from_records": found.kind in (HonourKind.GRID_WORKER, HonourKind.VOLUNTEER, HonourKind.PARTY_MEMBER)})
