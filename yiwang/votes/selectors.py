"""Reads of the votes app: results (the contract other apps read), turnout by grid, and the ballots
a resident may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from yiwang.regions.models import Level, Region, ancestor_paths
from yiwang.registry.models import Person

from .models import CHOICE_KINDS, RATING_MAX, RATING_MIN, Answer, Ballot, BallotStatus, Option, Phase, QuestionKind, Vote


def results(ballot: Ballot) -> list[dict]:
    """Per question, in order: choice questions with each option's count (options may name a
    candidate `person_id` or `user_id`), ratings with count, average and the 1-5 distribution,
    free text with the answers. `answered` is how many voters answered the question; `percent`
    is a share of them. Not gated: callers decide who may see results (see `results_visible`)."""
    questions = list(ballot.questions.order_by("position", "id"))
    answered = dict(Answer.objects.filter(question__ballot=ballot).values_list("question").annotate(n=Count("vote", distinct=True))
                    .values_list("question", "n"))
    option_counts = dict(Answer.objects.filter(question__ballot=ballot, option__isnull=False).values_list("option")
                         .annotate(n=Count("id")).values_list("option", "n"))
    options_by_question: dict[int, list[Option]] = {}
    for option in Option.objects.filter(question__ballot=ballot).order_by("position", "id"):
        options_by_question.setdefault(option.question_id, []).append(option)
    out = []
    for question in questions:
        n = answered.get(question.pk, 0)
        row = {"question_id": question.pk, "position": question.position, "text": question.text, "kind": question.kind,
               "required": question.required, "answered": n}
        if question.kind in CHOICE_KINDS:
            options = [{"id": o.pk, "label": o.label, "person_id": o.person_id, "user_id": o.user_id, "count": option_counts.get(o.pk, 0),
                        "percent": round(100 * option_counts.get(o.pk, 0) / n, 1) if n else 0.0}
                       for o in options_by_question.get(question.pk, [])]
            top = max((o["count"] for o in options), default=0)
            row["options"] = options
            row["top_option_ids"] = [o["id"] for o in options if top and o["count"] == top]
        elif question.kind == QuestionKind.RATING:
            ratings = Answer.objects.filter(question=question, rating__isnull=False)
            stats = ratings.aggregate(count=Count("id"), average=Avg("rating"))
            by_value = dict(ratings.values_list("rating").annotate(n=Count("id")).values_list("rating", "n"))
            row["count"] = stats["count"]
            row["average"] = round(float(stats["average"]), 2) if stats["average"] is not None else None
            row["distribution"] = {value: by_value.get(value, 0) for value in range(RATING_MIN, RATING_MAX + 1)}
        else:
            texts = list(Answer.objects.filter(question=question).exclude(text="").order_by("id").values_list("text", flat=True))
            row["count"] = len(texts)
            row["texts"] = texts
        out.append(row)
    return out


def results_visible(ballot: Ballot, *, staff: bool, now: datetime | None = None) -> bool:
    """Nobody sees totals while voting runs (they would sway it). Staff see them once closed, to
    review; residents once published."""
    phase = ballot.phase(now)
    return phase == Phase.PUBLISHED or (staff and phase == Phase.CLOSED)


def eligible_persons(ballot: Ballot) -> QuerySet:
    if ballot.eligible_building_id:
        return Person.objects.filter(household__house__building_id=ballot.eligible_building_id)
    return Person.objects.filter(region__path__startswith=ballot.eligible_region.path)


def _grid_of(path: str, grids: dict[str, Region]) -> Region | None:
    return next((grids[p] for p in reversed(ancestor_paths(path)) if p in grids), None)


def turnout_by_grid(ballot: Ballot) -> list[dict]:
    """Per grid of the voters: registered residents in the scope, votes, and the turnout in %.
    Votes count where the voter lived when voting; a grid that has votes but no registered
    residents left (people moved) still shows."""
    voters = dict(Vote.objects.filter(ballot=ballot).values_list("voter_region__path").annotate(n=Count("id"))
                  .values_list("voter_region__path", "n"))
    residents = dict(eligible_persons(ballot).values_list("region__path").annotate(n=Count("id")).values_list("region__path", "n"))
    paths = set(voters) | set(residents)
    wanted = {p for path in paths for p in ancestor_paths(path)}
    grids = {g.path: g for g in Region.objects.filter(path__in=wanted, level=Level.GRID)}
    rows: dict[str, dict] = {}
    for path in paths:
        grid = _grid_of(path, grids)
        key = grid.path if grid else path
        row = rows.setdefault(key, {"grid": grid, "name": grid.name if grid else "-", "code": grid.code if grid else "",
                                    "eligible": 0, "votes": 0})
        row["eligible"] += residents.get(path, 0)
        row["votes"] += voters.get(path, 0)
    ordered = [rows[key] for key in sorted(rows)]
    for row in ordered:
        row["percent"] = round(100 * row["votes"] / row["eligible"], 1) if row["eligible"] else None
    return ordered


def turnout_total(rows: list[dict]) -> dict:
    eligible, votes = sum(r["eligible"] for r in rows), sum(r["votes"] for r in rows)
    return {"eligible": eligible, "votes": votes, "percent": round(100 * votes / eligible, 1) if eligible else None}


def for_person(person, *, now: datetime | None = None) -> QuerySet:
    """Ballots (not drafts) whose scope takes in this person: the regions above them, or their building."""
    building_id = None
    if person.household_id and person.household.house_id:
        building_id = person.household.house.building_id
    scope = Q(eligible_region__path__in=ancestor_paths(person.region.path))
    if building_id:
        scope |= Q(eligible_building_id=building_id)
    return Ballot.objects.exclude(status=BallotStatus.DRAFT).filter(scope).select_related("eligible_region", "eligible_building", "region")


def resident_view(person, *, now: datetime | None = None) -> dict:
    """What the resident page lists: voting now (with whether I voted), upcoming, and published results."""
    now = now or timezone.now()
    ballots = list(for_person(person, now=now).order_by("closes_at", "id")[:200])
    voted = set(Vote.objects.filter(person=person, ballot__in=[b.pk for b in ballots]).values_list("ballot_id", flat=True))
    voting, upcoming, published = [], [], []
    for ballot in ballots:
        phase = ballot.phase(now)
        if phase == Phase.VOTING:
            voting.append({"ballot": ballot, "voted": ballot.pk in voted})
        elif phase == Phase.SCHEDULED:
            upcoming.append({"ballot": ballot})
        elif phase == Phase.PUBLISHED:
            published.append({"ballot": ballot, "voted": ballot.pk in voted})
    published.sort(key=lambda row: row["ballot"].closes_at, reverse=True)
    return {"voting": voting, "upcoming": upcoming, "published": published[:30]}


def person_has_voted(ballot: Ballot, person) -> bool:
    return person is not None and Vote.objects.filter(ballot=ballot, person=person).exists()


def export_sheet(ballot: Ballot) -> tuple[list[dict], list[tuple[str, str]], str]:
    """The results (and turnout by grid) as rows for a sheet, with its columns and title."""
    from django.utils.translation import gettext as _

    rows = []
    for question in results(ballot):
        head = f"{question['position']}. {question['text']}"
        if question["kind"] in ("single", "multiple"):
            rows += [{"question": head, "item": o["label"], "count": o["count"], "value": o["percent"]} for o in question["options"]]
        elif question["kind"] == "rating":
            rows.append({"question": head, "item": _("平均分"), "count": question["count"], "value": question["average"]})
            rows += [{"question": head, "item": f"{score}分", "count": n, "value": None} for score, n in question["distribution"].items()]
        else:
            rows += [{"question": head, "item": text, "count": 1, "value": None} for text in question["texts"]]
    turnout = turnout_by_grid(ballot)
    rows += [{"question": _("参与率"), "item": r["name"], "count": r["votes"], "value": r["percent"]} for r in turnout]
    columns = [(_("题目"), "question"), (_("选项/内容"), "item"), (_("票数/人数"), "count"), (_("占比%/平均分"), "value")]
    return rows, columns, _("投票结果")
