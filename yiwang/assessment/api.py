"""Assessment over the API: rankings, department scores and property lights with their
computations, honour rounds with nominations; signing a review and running a round."""

from __future__ import annotations

from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.api.params import Count, Id, Page, Year
from yiwang.api.fields import RegionCode
from yiwang.cases.models import Case, SummonsPart
from yiwang.core.scope import Action, Role, get_in_scope, scope_path
from yiwang.regions.models import Region
from yiwang.registry.models import Place

from . import selectors, services
from .models import HonourKind, HonourRound, Nomination

router = Router(tags=["assessment"])


def _region(request, code: str | None) -> Region:
    user = acting_user(request)
    if code:
        return get_in_scope(user, Region, code=code)
    if user.scope_region_id:
        return user.scope_region
    if scope_path(user) == "":
        return Region.objects.filter(parent__isnull=True).order_by("path").first()
    raise PermissionDenied


def _period(year: Year | None):
    return selectors.year_period(year or timezone.localdate().year)


class ScoreComponentOut(Schema):
    code: str
    label: str
    count: float | None
    weight: float
    points: float
    formula: str


class WorkerScoreOut(Schema):
    worker: str
    worker_id: int
    grid_code: str
    community: str | None
    score: float
    formula: str
    rank_in_community: int
    workers_in_community: int
    components: list[ScoreComponentOut]


@router.get("/workers", response=list[WorkerScoreOut])
def worker_ranking(request, region: str | None = None, year: Year | None = None):
    """Grid workers under a region, scored for a year and ranked within their community."""
    if acting_user(request).role == Role.RESIDENT:
        raise PermissionDenied
    since, until = _period(year)
    return [{"worker": row.worker.username, "worker_id": row.worker.pk, "grid_code": row.grid.code,
             "community": row.community.name if row.community else None, "score": row.score.total, "formula": row.score.formula,
             "rank_in_community": row.rank_in_community, "workers_in_community": row.workers_in_community,
             "components": [c.__dict__ for c in row.score.components]}
            for row in selectors.grid_worker_ranking(region=_region(request, region), since=since, until=until)]


class DepartmentScoreOut(Schema):
    department: str
    department_id: int
    score: float
    formula: str
    cases: int
    on_time_rate: float | None
    rework_rate: float | None
    summons_asked: int
    checked_in_on_time: int
    rating_average: float | None
    rating_of_street_average: float | None
    components: list[ScoreComponentOut]


@router.get("/departments", response=list[DepartmentScoreOut])
def department_scores(request, year: Year | None = None):
    since, until = _period(year)
    rows = selectors.department_scores(cases=scoped(request, Case), parts=scoped(request, SummonsPart), since=since, until=until)
    return [{"department": row.department.name, "department_id": row.department.pk, "score": row.score.total, "formula": row.score.formula,
             "cases": row.indicators.cases, "on_time_rate": row.indicators.on_time_rate, "rework_rate": row.indicators.rework_rate,
             "summons_asked": row.summons_asked, "checked_in_on_time": row.checked_in_on_time, "rating_average": row.rating_average,
             "rating_of_street_average": row.rating_of_street_average, "components": [c.__dict__ for c in row.score.components]}
            for row in rows]


class CheckOut(Schema):
    label: str
    value: float | None
    red_when: str
    green_when: str
    is_red: bool
    is_green: bool


class PropertyOut(Schema):
    company: str
    company_id: int
    colour: str
    complaints: int
    households: int | None
    failed_items: int
    rated: int
    satisfied: int
    areas: list[str]
    checks: list[CheckOut]


@router.get("/property", response=list[PropertyOut])
def property_lights(request, year: Year | None = None):
    """红黄绿 of the property companies in scope, each with the checks that decided it."""
    since, until = _period(year)
    rows = selectors.property_ratings(companies=selectors.property_companies(scoped(request, Place)), since=since, until=until)
    return [{"company": row.company.name, "company_id": row.company.pk, "colour": row.light.colour, "complaints": row.complaints,
             "households": row.households, "failed_items": row.failed_items, "rated": row.rated, "satisfied": row.satisfied,
             "areas": [area.region.code for area in row.areas], "checks": [c.__dict__ for c in row.light.checks]} for row in rows]


class NominationOut(Schema):
    id: int
    name: str
    source: str
    score: float | None
    reason: str
    evidence: list[dict]
    awarded: bool


class RoundOut(Schema):
    id: int
    kind: str
    title: str
    region_code: RegionCode
    year: int
    places: int
    status: str


class RoundDetailOut(RoundOut):
    nominations: list[NominationOut]

    @staticmethod
    def resolve_nominations(obj):
        return list(Nomination.objects.filter(round=obj).order_by("-awarded", "-score", "name"))


@router.get("/rounds", response=list[RoundOut])
@paginate(Page)
def list_rounds(request):
    return scoped(request, HonourRound).select_related("region").order_by("-year", "kind", "id")


@router.get("/rounds/{round_id}", response=RoundDetailOut)
def get_round(request, round_id: int):
    return get_scoped(request, HonourRound, pk=round_id)


class RoundIn(Schema):
    kind: HonourKind
    region_code: str
    year: Year
    places: Count
    title: str = ""


@router.post("/rounds", response={201: RoundOut})
def open_round(request, payload: RoundIn):
    region = get_scoped(request, Region, Action.CHANGE, code=payload.region_code)
    return 201, services.open_round(kind=payload.kind, region=region, year=payload.year, places=payload.places, title=payload.title,
                                    acting_user=acting_user(request))


class NominateIn(Schema):
    how: Literal["records", "ballot", "manual"]
    ballot_id: Id | None = None
    name: str = ""
    reason: str = ""


@router.post("/rounds/{round_id}/nominations", response={201: list[NominationOut]})
def nominate(request, round_id: int, payload: NominateIn):
    found = get_scoped(request, HonourRound, pk=round_id)
    user = acting_user(request)
    if payload.how == "records":
        return 201, services.nominate_from_records(honour_round=found, acting_user=user)
    if payload.how == "ballot":
        from yiwang.votes.models import Ballot

        ballot = get_scoped(request, Ballot, pk=payload.ballot_id or 0)
        return 201, services.nominate_from_ballot(honour_round=found, ballot=ballot, acting_user=user)
    return 201, [services.nominate(honour_round=found, name=payload.name, reason=payload.reason, acting_user=user)]


class DecideIn(Schema):
    awarded: list[Id]


@router.post("/rounds/{round_id}/decide", response=RoundDetailOut)
def decide(request, round_id: int, payload: DecideIn):
    found = get_scoped(request, HonourRound, pk=round_id)
    return services.decide_round(honour_round=found, awarded=payload.awarded, acting_user=acting_user(request))


class WorkerReviewIn(Schema):
    year: Year
    grade: str
    comment: str = ""


class ReviewOut(Schema):
    id: int
    worker: str
    year: int
    score: float
    grade: str
    rank_in_community: int | None
    computation: dict

    @staticmethod
    def resolve_worker(obj):
        return obj.worker.username


@router.post("/workers/{worker_id}/review", response={201: ReviewOut})
def review(request, worker_id: int, payload: WorkerReviewIn):
    worker = get_user_model().objects.filter(pk=worker_id).select_related("scope_region").first()
    if worker is None or worker.scope_region is None:
        raise PermissionDenied
    get_scoped(request, Region, pk=worker.scope_region_id)
    return 201, services.sign_review(worker=worker, year=payload.year, grade=payload.grade, comment=payload.comment,
                                     acting_user=acting_user(request))
