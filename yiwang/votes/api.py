"""Ballots and questionnaires over the API: staff list and manage ballots in their scope (turnout,
results once closed); residents list their own ballots and vote (`/mine`, `POST .../votes`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Count, Id, Moment, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action
from yiwang.regions.models import Region
from yiwang.registry.models import Building, Person

from . import selectors, services
from .models import Ballot, BallotKind, QuestionKind

router = Router(tags=["votes"])


class OptionOut(Schema):
    id: int
    position: int
    label: str
    person_id: int | None
    user_id: int | None


class QuestionOut(Schema):
    id: int
    position: int
    text: str
    kind: str
    required: bool
    max_choices: int | None
    options: list[OptionOut]

    @staticmethod
    def resolve_options(obj):
        return list(obj.options.all())


class BallotOut(Schema):
    id: int
    title: str
    kind: str
    period: str
    region_code: RegionCode
    scope: str
    eligible_region_code: str | None
    eligible_building_id: int | None
    opens_at: datetime
    closes_at: datetime
    status: str
    phase: str
    publish_on_close: bool

    @staticmethod
    def resolve_scope(obj):
        return obj.scope_label

    @staticmethod
    def resolve_eligible_region_code(obj):
        return obj.eligible_region.code if obj.eligible_region_id else None

    @staticmethod
    def resolve_phase(obj):
        return obj.phase()


class BallotDetailOut(BallotOut):
    description: str
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj):
        return list(obj.questions.prefetch_related("options").order_by("position", "id"))


class ResultsOut(Schema):
    ballot_id: int
    phase: str
    visible: bool
    questions: list[dict]


class TurnoutRow(Schema):
    grid_code: str
    grid: str
    eligible: int
    votes: int
    percent: float | None


class TurnoutOut(Schema):
    ballot_id: int
    eligible: int
    votes: int
    percent: float | None
    grids: list[TurnoutRow]


class OptionIn(BaseModel):
    # Plain pydantic: a candidate is a JSON object, never any value read through its attributes.
    label: str = ""
    person_id: Id | None = None
    user_id: Id | None = None


class QuestionIn(Schema):
    text: str
    kind: QuestionKind = QuestionKind.SINGLE
    required: bool = True
    max_choices: Count | None = None
    # Each option: a label, or {"label", "person_id", "user_id"} naming a candidate.
    options: list[str | OptionIn] = []


class BallotIn(Schema):
    region: str = Field(description="code of the region that runs the ballot")
    title: str
    kind: BallotKind = BallotKind.GENERAL
    description: str = ""
    period: str = ""
    eligible_region: str | None = Field(None, description="code of a grid/community; or give eligible_building_id")
    eligible_building_id: Id | None = None
    opens_at: Moment
    closes_at: Moment
    publish_on_close: bool = True
    questions: list[QuestionIn] = []


class VoteIn(Schema):
    answers: dict[str, Any] = Field(description="question id → option id | [option ids] | 1-5 | text")
    person_id: Id | None = Field(None, description="staff entering a paper ballot for this resident; residents leave it out")


class VoteOut(Schema):
    id: int
    ballot_id: int
    cast_at: datetime
    answers: int


class GridProjectsIn(Schema):
    community: str
    period: str
    candidates: dict[str, list[str]] = Field(description="grid code → candidate project labels")
    opens_at: Moment
    closes_at: Moment
    open_now: bool = True


class MyBallotOut(Schema):
    ballot: BallotOut
    voted: bool = False


class MineOut(Schema):
    voting: list[MyBallotOut]
    upcoming: list[MyBallotOut]
    published: list[MyBallotOut]


def _ballots(request, action=Action.VIEW):
    return scoped(request, Ballot, action).select_related("region", "eligible_region", "eligible_building")


def _region(code: str | None, field: str) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError({field: f"没有代码为{code}的区域"})
    return region


def _resolve_options(options: list[str | OptionIn], user) -> list[Any]:
    from yiwang.accounts.models import User

    out = []
    for option in options:
        if isinstance(option, str):
            out.append(option)
            continue
        spec = {"label": option.label}
        if option.person_id:
            spec["person"] = Person.objects.restrict(user, Action.VIEW).filter(pk=option.person_id).first()
            if spec["person"] is None:
                raise ValidationError({"options": f"候选人{option.person_id}不在您的范围内"})
        if option.user_id:
            # In the caller's scope only: an account outside it reads as one that does not exist.
            spec["user"] = User.objects.restrict(user).filter(pk=option.user_id, is_active=True).first()
            if spec["user"] is None:
                raise ValidationError({"options": f"账号{option.user_id}不存在"})
        out.append(spec)
    return out


@router.get("/ballots", response=list[BallotOut])
@paginate(Page)
def list_ballots(request, region: str | None = None, status: str | None = None, kind: str | None = None):
    ballots = under_region(_ballots(request), region)
    if status:
        ballots = ballots.filter(status=status)
    if kind:
        ballots = ballots.filter(kind=kind)
    return ballots


@router.post("/ballots", response={201: BallotDetailOut})
def create_ballot(request, payload: BallotIn):
    user = acting_user(request)
    building = None
    if payload.eligible_building_id:
        building = Building.objects.restrict(user, Action.VIEW).filter(pk=payload.eligible_building_id).select_related("region").first()
        if building is None:
            raise ValidationError({"eligible_building_id": "楼栋不存在或不在您的范围内"})
    questions = [q.dict() | {"options": _resolve_options(q.options, user)} for q in payload.questions]
    ballot = services.create_ballot(
        acting_user=user, region=_region(payload.region, "region"), title=payload.title, kind=payload.kind,
        description=payload.description, period=payload.period, eligible_region=_region(payload.eligible_region, "eligible_region"),
        eligible_building=building, opens_at=payload.opens_at, closes_at=payload.closes_at, publish_on_close=payload.publish_on_close,
        questions=questions)
    return Status(201, ballot)


@router.get("/ballots/{ballot_id}", response=BallotDetailOut)
def get_ballot(request, ballot_id: int):
    return get_scoped(request, Ballot, id=ballot_id)


@router.post("/ballots/{ballot_id}/questions", response={201: QuestionOut})
def add_question(request, ballot_id: int, payload: QuestionIn):
    ballot = get_scoped(request, Ballot, Action.CHANGE, id=ballot_id)
    user = acting_user(request)
    return Status(201, services.add_question(ballot, acting_user=user, text=payload.text, kind=payload.kind, required=payload.required,
                                             max_choices=payload.max_choices, options=_resolve_options(payload.options, user)))


@router.post("/ballots/{ballot_id}/open", response=BallotOut)
def open_ballot(request, ballot_id: int):
    return services.open_ballot(get_scoped(request, Ballot, Action.CHANGE, id=ballot_id), acting_user=acting_user(request))


@router.post("/ballots/{ballot_id}/close", response=BallotOut)
def close_ballot(request, ballot_id: int):
    return services.close_ballot(get_scoped(request, Ballot, Action.CHANGE, id=ballot_id), acting_user=acting_user(request))


@router.post("/ballots/{ballot_id}/publish", response=BallotOut)
def publish_ballot(request, ballot_id: int):
    return services.publish_results(get_scoped(request, Ballot, Action.CHANGE, id=ballot_id), acting_user=acting_user(request))


@router.get("/ballots/{ballot_id}/results", response=ResultsOut)
def ballot_results(request, ballot_id: int):
    """Totals once the ballot has closed (hidden while voting: `visible` is false)."""
    ballot = get_scoped(request, Ballot, id=ballot_id)
    visible = selectors.results_visible(ballot, staff=True)
    return {"ballot_id": ballot.pk, "phase": ballot.phase(), "visible": visible, "questions": selectors.results(ballot) if visible else []}


@router.get("/ballots/{ballot_id}/turnout", response=TurnoutOut)
def ballot_turnout(request, ballot_id: int):
    ballot = get_scoped(request, Ballot, id=ballot_id)
    rows = selectors.turnout_by_grid(ballot)
    return {"ballot_id": ballot.pk, **selectors.turnout_total(rows),
            "grids": [{"grid_code": r["code"], "grid": r["name"], "eligible": r["eligible"], "votes": r["votes"], "percent": r["percent"]}
                      for r in rows]}


@router.post("/ballots/{ballot_id}/votes", response={201: VoteOut})
def cast_vote(request, ballot_id: int, payload: VoteIn):
    """A resident votes for themselves; staff may enter a paper ballot naming `person_id`."""
    user = acting_user(request)
    if payload.person_id is not None and payload.person_id != user.person_id:
        # A paper ballot entered by staff: the resident must be in their scope (the ballot may
        # be the community's, above a grid worker's scope).
        person = get_scoped(request, Person, Action.CHANGE, id=payload.person_id)
    else:
        person = user.person
        if person is None:
            raise ValidationError({"person": "请先到社区登记本人信息"})
    ballot = selectors.for_person(person).filter(pk=ballot_id).first()
    if ballot is None:  # not the person's ballot: do not confirm it exists
        raise Http404(gettext("没有这个投票或问卷"))
    outcome = services.cast_vote(ballot=ballot, person=person, answers=payload.answers, acting_user=user)
    return Status(201, {"id": outcome.vote.pk, "ballot_id": ballot.pk, "cast_at": outcome.vote.cast_at, "answers": outcome.answers})


@router.post("/grid-projects", response={201: list[BallotOut]})
def grid_projects(request, payload: GridProjectsIn):
    """The half-yearly vote: one ballot per listed grid of the community."""
    community = get_scoped(request, Region, Action.CHANGE, code=payload.community)
    return Status(201, services.create_grid_project_votes(
        acting_user=acting_user(request), community=community, period=payload.period, candidates=payload.candidates,
        opens_at=payload.opens_at, closes_at=payload.closes_at, open_now=payload.open_now))


@router.get("/mine", response=MineOut)
def mine(request):
    """The caller's own ballots as a resident: voting now (and whether they voted), upcoming, published."""
    person = acting_user(request).person
    if person is None:
        return {"voting": [], "upcoming": [], "published": []}
    return selectors.resident_view(person)


@router.get("/mine/{ballot_id}/results", response=ResultsOut)
def my_results(request, ballot_id: int):
    """A ballot of the caller's scope: its totals once published."""
    person = acting_user(request).person
    ballot = selectors.for_person(person).filter(pk=ballot_id).first() if person else None
    if ballot is None:
        raise Http404(gettext("没有这个投票或问卷"))
    visible = selectors.results_visible(ballot, staff=False)
    return {"ballot_id": ballot.pk, "phase": ballot.phase(), "visible": visible, "questions": selectors.results(ballot) if visible else []}
