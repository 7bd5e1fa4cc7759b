"""Every write of the votes app: ballots and their questions, opening, closing and publishing,
casting a vote, and the half-yearly vote on each grid's best livelihood project.

Rules kept here:
- A ballot is edited only as a draft; it opens only when every question can be answered (choice
  questions have options, a multiple choice allows no more picks than it has options).
- The eligibility scope lies inside the region that runs the ballot.
- One resident, one vote per ballot: the ballot row is locked while a vote is checked and
  written, and the database's unique (ballot, person) refuses a second one in any case.
- Answers are checked per question type; a refusal names the question and nothing is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.scope import Action, Role, require
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.regions.models import Level, Region

from .models import (
    CHOICE_KINDS, RATING_MAX, RATING_MIN, Answer, Ballot, BallotKind, BallotStatus, Option, Phase, Question, QuestionKind, Vote,
)

MAX_QUESTIONS = 50
MAX_OPTIONS = 100
MAX_TEXT_ANSWER = 2000
ALREADY_VOTED = "您已参加过本次投票，每人限投一次"

# A ballot's life: edited while a draft, opened, closed (published at once when it says so), published.
BALLOT_MACHINE = StateMachine([
    Transition("edit", BallotStatus.DRAFT, None),
    Transition("open", BallotStatus.DRAFT, BallotStatus.OPEN, stamp="opened_at"),
    Transition("close", BallotStatus.OPEN, BallotStatus.CLOSED),
    Transition("close_and_publish", BallotStatus.OPEN, BallotStatus.PUBLISHED),
    Transition("publish", BallotStatus.CLOSED, BallotStatus.PUBLISHED, stamp="published_at"),
])


def _fmt(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def question_key(question: Question) -> str:
    """The error key of a question: forms and the API show the message under it."""
    return f"question_{question.pk}"


def question_label(question: Question) -> str:
    return f"第{question.position}题「{question.text}」"


# Ballots -----------------------------------------------------------------------------------------

BALLOT_FIELDS = ("region", "title", "kind", "description", "period", "eligible_region", "eligible_building", "opens_at", "closes_at",
                 "publish_on_close")


def _check_ballot(values: dict) -> dict:
    clean = dict(values)
    clean["title"] = (clean.get("title") or "").strip()
    if not clean["title"]:
        raise ValidationError({"title": "请填写标题"})
    if len(clean["title"]) > 120:
        raise ValidationError({"title": "标题不能超过120字"})
    if clean.get("kind") not in BallotKind.values:
        raise ValidationError({"kind": f"未知的投票类型：{clean.get('kind')}"})
    region = clean.get("region")
    if region is None:
        raise ValidationError({"region": "请选择发起单位"})
    scope_region, building = clean.get("eligible_region"), clean.get("eligible_building")
    if (scope_region is None) == (building is None):
        raise ValidationError({"eligible_region": "请选择投票范围：一个楼栋，或一个网格/社区（二选一）"})
    scope_path = building.region.path if building is not None else scope_region.path
    if not scope_path.startswith(region.path):
        raise ValidationError({"eligible_region": f"投票范围须在发起单位{region.name}之内"})
    opens_at, closes_at = clean.get("opens_at"), clean.get("closes_at")
    if opens_at is None:
        raise ValidationError({"opens_at": "请填写开始时间"})
    if closes_at is None:
        raise ValidationError({"closes_at": "请填写截止时间"})
    if timezone.is_naive(opens_at) or timezone.is_naive(closes_at):
        raise ValidationError({"opens_at": "时间须带时区"})
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": "截止时间须晚于开始时间"})
    clean["description"] = (clean.get("description") or "").strip()
    clean["period"] = (clean.get("period") or "").strip()[:40]
    clean["publish_on_close"] = bool(clean.get("publish_on_close", True))
    return clean


def create_ballot(*, acting_user, region: Region, title: str, kind: str = BallotKind.GENERAL, opens_at: datetime, closes_at: datetime,
                  eligible_region: Region | None = None, eligible_building=None, description: str = "", period: str = "",
                  publish_on_close: bool = True, questions: Sequence[Mapping[str, Any]] = ()) -> Ballot:
    """A draft ballot, with its questions when given (each a mapping of add_question's arguments)."""
    if region is not None:
        require(acting_user, Action.CHANGE, region.path)
    clean = _check_ballot({"region": region, "title": title, "kind": kind, "description": description, "period": period,
                           "eligible_region": eligible_region, "eligible_building": eligible_building, "opens_at": opens_at,
                           "closes_at": closes_at, "publish_on_close": publish_on_close})
    with transaction.atomic():
        ballot = Ballot.objects.create(**clean, created_by=audit.account(acting_user))
        for position, spec in enumerate(questions, start=1):
            try:
                _add_question(ballot, **spec)
            except ValidationError as exc:
                raise ValidationError({f"questions[{position}]": _flat(exc)}) from exc
        audit.record(actor=acting_user, action="votes.ballot.create", target=ballot, detail={"title": ballot.title, "kind": ballot.kind})
    return ballot


def _flat(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return exc.messages


def _locked_draft(ballot: Ballot | int, acting_user) -> Ballot:
    locked = Ballot.objects.select_for_update().select_related("region").get(pk=getattr(ballot, "pk", ballot))
    require(acting_user, Action.CHANGE, locked.region.path)
    BALLOT_MACHINE.move(locked, "edit", otherwise=ValidationError({"status": "投票已开启，不能再修改；如需调整请新建"}))
    return locked


def update_ballot(ballot: Ballot | int, *, acting_user, **changes) -> Ballot:
    unknown = set(changes) - set(BALLOT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "不能修改此项"})
    with transaction.atomic():
        locked = _locked_draft(ballot, acting_user)
        values = {name: getattr(locked, name) for name in BALLOT_FIELDS} | changes
        if values["region"].pk != locked.region_id:
            require(acting_user, Action.CHANGE, values["region"].path)
        clean = _check_ballot(values)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(actor=acting_user, action="votes.ballot.update", target=locked, detail={"fields": sorted(changes)})
    return locked


def delete_ballot(ballot: Ballot | int, *, acting_user) -> None:
    with transaction.atomic():
        locked = _locked_draft(ballot, acting_user)
        audit.record(actor=acting_user, action="votes.ballot.delete", target=locked, detail={"title": locked.title})
        locked.delete()


# Questions ---------------------------------------------------------------------------------------

def _option_specs(options: Sequence[Any]) -> list[dict]:
    """Options as given: a label, or a mapping with label and/or person/user (the candidate)."""
    specs = []
    for number, option in enumerate(options, start=1):
        spec = {"label": option} if isinstance(option, str) else dict(option)
        person, user = spec.get("person"), spec.get("user")
        label = (spec.get("label") or "").strip()
        if not label and person is not None:
            label = person.name
        if not label and user is not None:
            label = user.get_full_name() or user.username
        if not label:
            raise ValidationError({"options": f"第{number}个选项没有内容"})
        if len(label) > 200:
            raise ValidationError({"options": f"第{number}个选项超过200字"})
        specs.append({"label": label, "person": person, "user": user})
    labels = [s["label"] for s in specs]
    duplicate = next((label for label in labels if labels.count(label) > 1), None)
    if duplicate:
        raise ValidationError({"options": f"选项“{duplicate}”重复"})
    if len(specs) > MAX_OPTIONS:
        raise ValidationError({"options": f"选项不能超过{MAX_OPTIONS}个"})
    return specs


def _add_question(ballot: Ballot, *, text: str, kind: str = QuestionKind.SINGLE, required: bool = True, max_choices: int | None = None,
                  options: Sequence[Any] = ()) -> Question:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请填写题目"})
    if len(text) > 300:
        raise ValidationError({"text": "题目不能超过300字"})
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": f"未知的题型：{kind}"})
    specs = _option_specs(options) if kind in CHOICE_KINDS else []
    if kind not in CHOICE_KINDS and options:
        raise ValidationError({"options": "评分题和文字题没有选项"})
    if kind in CHOICE_KINDS and len(specs) < 2:
        raise ValidationError({"options": "选择题至少需要两个选项"})
    if kind == QuestionKind.MULTIPLE:
        if max_choices is not None and (not isinstance(max_choices, int) or max_choices < 1):
            raise ValidationError({"max_choices": "最多可选数须为正整数"})
        if max_choices is not None and max_choices > len(specs):
            raise ValidationError({"max_choices": f"最多可选{max_choices}项，但只有{len(specs)}个选项"})
    else:
        max_choices = None
    count = ballot.questions.count()
    if count >= MAX_QUESTIONS:
        raise ValidationError({"text": f"每份问卷最多{MAX_QUESTIONS}题"})
    question = Question.objects.create(ballot=ballot, position=count + 1, text=text, kind=kind, required=bool(required),
                                       max_choices=max_choices)
    Option.objects.bulk_create(Option(question=question, position=n, **spec) for n, spec in enumerate(specs, start=1))
    return question


def add_question(ballot: Ballot | int, *, acting_user, text: str, kind: str = QuestionKind.SINGLE, required: bool = True,
                 max_choices: int | None = None, options: Sequence[Any] = ()) -> Question:
    with transaction.atomic():
        locked = _locked_draft(ballot, acting_user)
        question = _add_question(locked, text=text, kind=kind, required=required, max_choices=max_choices, options=options)
        audit.record(actor=acting_user, action="votes.question.add", target=question, detail={"ballot": locked.pk, "text": question.text})
    return question


def delete_question(question: Question | int, *, acting_user) -> None:
    question_id = getattr(question, "pk", question)
    with transaction.atomic():
        ballot_id = Question.objects.filter(pk=question_id).values_list("ballot_id", flat=True).first()
        if ballot_id is None:
            raise ValidationError({"question": "题目不存在"})
        locked = _locked_draft(ballot_id, acting_user)
        Question.objects.filter(pk=question_id).delete()
        # Keep the numbering 1..n, which answers' error messages refer to.
        for position, remaining in enumerate(locked.questions.order_by("position", "id"), start=1):
            if remaining.position != position:
                remaining.position = position
                remaining.save(update_fields=["position"])
        audit.record(actor=acting_user, action="votes.question.delete", target_type="votes.question",
                     detail={"ballot": locked.pk, "question": question_id})


# Life --------------------------------------------------------------------------------------------

def open_ballot(ballot: Ballot | int, *, acting_user, now: datetime | None = None) -> Ballot:
    """Draft → open. Voting starts at opens_at (now, or later: then it opens by itself)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_draft(ballot, acting_user)
        questions = list(locked.questions.prefetch_related("options"))
        if not questions:
            raise ValidationError({"questions": "请至少添加一道题目"})
        if locked.closes_at <= now:
            raise ValidationError({"closes_at": f"截止时间{_fmt(locked.closes_at)}已过，请先修改"})
        BALLOT_MACHINE.apply(locked, "open", now)
        locked.save(update_fields=["status", "opened_at"])
        audit.record(actor=acting_user, action="votes.ballot.open", target=locked, detail={"opens_at": locked.opens_at.isoformat()})
    return locked


def _close(locked: Ballot, *, now: datetime, actor, early: bool) -> None:
    BALLOT_MACHINE.apply(locked, "close_and_publish" if locked.publish_on_close else "close")
    locked.closed_at = min(now, locked.closes_at)
    fields = ["status", "closed_at"]
    if early:
        # Closed by hand before time: the window ends now, for the pages and the record.
        # (A ballot closed before it even began keeps its times; its status says it is closed.)
        if now > locked.opens_at:
            locked.closes_at = now
            fields.append("closes_at")
    if locked.status == BallotStatus.PUBLISHED:
        locked.published_at = now
        fields.append("published_at")
    locked.save(update_fields=fields)
    audit.record(actor=actor, action="votes.ballot.close", target=locked,
                 detail={"early": early, "published": locked.status == BallotStatus.PUBLISHED, "votes": locked.votes.count()})


def close_ballot(ballot: Ballot | int, *, acting_user, now: datetime | None = None) -> Ballot:
    """Open → closed (and published when the ballot says so), before its time if need be."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Ballot.objects.select_for_update().select_related("region").get(pk=getattr(ballot, "pk", ballot))
        require(acting_user, Action.CHANGE, locked.region.path)
        BALLOT_MACHINE.move(locked, "close", otherwise=ValidationError({"status": f"投票{locked.get_status_display()}，不能截止"}))
        _close(locked, now=now, actor=acting_user, early=now < locked.closes_at)
    return locked


def publish_results(ballot: Ballot | int, *, acting_user, now: datetime | None = None) -> Ballot:
    """Closed → published: residents see the results."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Ballot.objects.select_for_update().select_related("region").get(pk=getattr(ballot, "pk", ballot))
        require(acting_user, Action.CHANGE, locked.region.path)
        if locked.status == BallotStatus.OPEN and locked.closes_at <= now:
            _close(locked, now=now, actor=acting_user, early=False)  # past its time: write the close down first
            if locked.status == BallotStatus.PUBLISHED:  # closing published it (publish_on_close)
                return locked
        BALLOT_MACHINE.apply(locked, "publish", now, otherwise=ValidationError({"status": "投票截止后才能公布结果"}))
        locked.save(update_fields=["status", "published_at"])
        audit.record(actor=acting_user, action="votes.ballot.publish", target=locked, detail={})
    return locked


def close_due_ballots(*, now: datetime | None = None) -> int:
    """For the sweep and `yiwang close_due_ballots`: write down the close (and publication) of
    open ballots past their closes_at. Pages already treat them as closed; this records it."""
    now = now or timezone.now()
    closed = 0
    for pk in Ballot.objects.filter(status=BallotStatus.OPEN, closes_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            locked = Ballot.objects.select_for_update().filter(pk=pk, status=BallotStatus.OPEN, closes_at__lte=now).first()
            if locked is None:  # closed by someone in between
                continue
            _close(locked, now=now, actor=None, early=False)
            closed += 1
    return closed


# Voting ------------------------------------------------------------------------------------------

def is_eligible(ballot: Ballot, person) -> bool:
    """A building ballot: the person's household lives in that building. A region ballot: the
    person is registered in a region under it."""
    if person is None:
        return False
    if ballot.eligible_building_id:
        household = person.household
        return bool(household and household.house_id and household.house.building_id == ballot.eligible_building_id)
    return person.region.path.startswith(ballot.eligible_region.path)


def _may_cast_for(acting_user, person) -> None:
    """Residents vote for themselves; staff may enter a paper ballot for a resident in their scope."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    if acting_user.person_id is not None and acting_user.person_id == person.pk:
        return
    if acting_user.role == Role.RESIDENT and not acting_user.is_superuser:
        raise PermissionDenied(gettext("居民只能为本人投票"))
    require(acting_user, Action.CHANGE, person.region.path)


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _clean_answers(questions: list[Question], answers: Mapping) -> tuple[list[tuple[Question, Any]], dict[str, str]]:
    """Each question's answer checked against its type; errors keyed by question, naming it."""
    given = {str(k): v for k, v in answers.items()}
    known = {str(q.pk) for q in questions}
    errors: dict[str, str] = {}
    for key in given:
        if key not in known:
            errors[f"question_{key}"] = f"题目{key}不属于本次投票"
    cleaned: list[tuple[Question, Any]] = []
    for question in questions:
        key, label = question_key(question), question_label(question)
        value = given.get(str(question.pk))
        empty = value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())
        if empty:
            if question.required:
                errors[key] = f"{label}为必答题"
            continue
        if question.kind == QuestionKind.SINGLE:
            picked = _as_int(value[0] if isinstance(value, list) and len(value) == 1 else value)
            option = question.option_by_id.get(picked)
            if option is None:
                errors[key] = f"{label}：请从选项中选择一项"
            else:
                cleaned.append((question, [option]))
        elif question.kind == QuestionKind.MULTIPLE:
            values = value if isinstance(value, (list, tuple)) else [value]
            ids = [_as_int(v) for v in values]
            if any(i not in question.option_by_id for i in ids):
                errors[key] = f"{label}：有不属于本题的选项"
            elif len(set(ids)) != len(ids):
                errors[key] = f"{label}：同一选项只能选一次"
            elif question.max_choices and len(ids) > question.max_choices:
                errors[key] = f"{label}：最多选{question.max_choices}项，您选了{len(ids)}项"
            else:
                cleaned.append((question, [question.option_by_id[i] for i in ids]))
        elif question.kind == QuestionKind.RATING:
            rating = _as_int(value)
            if rating is None or not RATING_MIN <= rating <= RATING_MAX:
                errors[key] = f"{label}：评分须为{RATING_MIN}到{RATING_MAX}的整数"
            else:
                cleaned.append((question, rating))
        else:
            text = str(value).strip()
            if len(text) > MAX_TEXT_ANSWER:
                errors[key] = f"{label}：回答不能超过{MAX_TEXT_ANSWER}字"
            else:
                cleaned.append((question, text))
    return cleaned, errors


@dataclass
class CastOutcome:
    vote: Vote
    answers: int


def cast_vote(*, ballot: Ballot | int, person, answers: Mapping, acting_user, now: datetime | None = None) -> CastOutcome:
    """Record `person`'s vote. `answers` maps question id → option id (single), option ids
    (multiple), 1-5 (rating) or text. Refusals: not eligible, outside the window, already voted,
    or an answer that does not fit its question (the error names it)."""
    now = now or timezone.now()
    if person is None:
        raise ValidationError({"person": "请先到社区登记本人信息"})
    _may_cast_for(acting_user, person)
    try:
        with transaction.atomic():
            # The ballot row is the lock every vote of this ballot queues on.
            locked = Ballot.objects.select_for_update(of=("self",)).select_related("region", "eligible_region", "eligible_building").get(
                pk=getattr(ballot, "pk", ballot))
            phase = locked.phase(now)
            if phase == Phase.DRAFT:
                raise ValidationError({"ballot": "投票尚未开启"})
            if phase == Phase.SCHEDULED:
                raise ValidationError({"ballot": f"投票将于{_fmt(locked.opens_at)}开始"})
            if phase != Phase.VOTING:
                raise ValidationError({"ballot": f"投票已于{_fmt(locked.closed_at or locked.closes_at)}截止"})
            if not is_eligible(locked, person):
                raise ValidationError({"person": f"{person.name}不在本次投票范围（{locked.scope_label}）内"})
            if Vote.objects.filter(ballot=locked, person=person).exists():
                raise ValidationError({"person": ALREADY_VOTED})
            questions = list(locked.questions.prefetch_related("options").order_by("position", "id"))
            for question in questions:
                question.option_by_id = {o.pk: o for o in question.options.all()}
            cleaned, errors = _clean_answers(questions, answers)
            if errors:
                raise ValidationError(errors)
            vote = Vote.objects.create(ballot=locked, person=person, voter_region_id=person.region_id,
                                       cast_by=audit.account(acting_user), cast_at=now)
            rows = []
            for question, value in cleaned:
                if question.kind in CHOICE_KINDS:
                    rows += [Answer(vote=vote, question=question, option=option) for option in value]
                elif question.kind == QuestionKind.RATING:
                    rows.append(Answer(vote=vote, question=question, rating=value))
                else:
                    rows.append(Answer(vote=vote, question=question, text=value))
            Answer.objects.bulk_create(rows)
            # Who voted is recorded; what they chose is not put in the audit trail.
            audit.record(actor=acting_user, action="votes.vote.cast", target=vote,
                         detail={"ballot": locked.pk, "person": person.pk, "for_someone_else": acting_user.person_id != person.pk})
    except IntegrityError as exc:
        # The unique (ballot, person) caught a vote the lock did not (it cannot, but the database decides).
        raise ValidationError({"person": ALREADY_VOTED}) from exc
    return CastOutcome(vote=vote, answers=len(rows))


# The half-yearly vote on each grid's best livelihood project -----------------------------------

PROJECT_QUESTION = "您认为本网格本期最好的民生实事项目是？"


def create_grid_project_votes(*, acting_user, community: Region, period: str, candidates: Mapping[Any, Sequence[str]],
                              opens_at: datetime, closes_at: datetime, open_now: bool = True) -> list[Ballot]:
    """For a community: one ballot per listed grid, each a single-choice question over that grid's
    candidate projects, open to that grid's residents (as 人民新村 votes every six months).
    `candidates` maps a grid (Region, id or code) to project labels. All or nothing."""
    require(acting_user, Action.CHANGE, community.path)
    period = (period or "").strip()
    if not period:
        raise ValidationError({"period": "请填写期次，例如“2026年上半年”"})
    if not candidates:
        raise ValidationError({"candidates": "请为至少一个网格列出候选项目"})
    grids = {g.pk: g for g in Region.objects.filter(path__startswith=community.path, level=Level.GRID)}
    by_code = {g.code: g for g in grids.values()}
    resolved: list[tuple[Region, list[str]]] = []
    for key, labels in candidates.items():
        grid = key if isinstance(key, Region) else grids.get(_as_int(key)) or by_code.get(str(key))
        if grid is None or grid.pk not in grids:
            raise ValidationError({"candidates": f"{getattr(key, 'name', key)}不是{community.name}的网格"})
        clean = [label.strip() for label in labels if label and label.strip()]
        if len(clean) < 2:
            raise ValidationError({f"grid_{grid.pk}": f"{grid.name}：请至少列出两个候选项目"})
        resolved.append((grid, clean))
    ballots = []
    with transaction.atomic():
        # The community row is the lock: two submissions for the same period queue here, so the
        # second sees the first's ballots and is refused.
        Region.objects.select_for_update().filter(pk=community.pk).first()
        for grid, labels in sorted(resolved, key=lambda pair: pair[0].path):
            if Ballot.objects.filter(kind=BallotKind.PROJECT, period=period, eligible_region=grid).exists():
                raise ValidationError({f"grid_{grid.pk}": f"{grid.name}已有{period}的项目评选"})
            try:
                ballot = create_ballot(
                    acting_user=acting_user, region=community, title=f"{grid.name}{period}最佳民生实事项目评选", kind=BallotKind.PROJECT,
                    period=period, eligible_region=grid, opens_at=opens_at, closes_at=closes_at,
                    description=f"{grid.name}居民每户每人一票，选出本网格{period}最好的民生实事项目。",
                    questions=[{"text": PROJECT_QUESTION, "kind": QuestionKind.SINGLE, "options": labels}])
                if open_now:
                    ballot = open_ballot(ballot, acting_user=acting_user)
            except ValidationError as exc:
                raise ValidationError({f"grid_{grid.pk}": [f"{grid.name}：{m}" for m in _flat(exc)]}) from exc
            ballots.append(ballot)
    return ballots
