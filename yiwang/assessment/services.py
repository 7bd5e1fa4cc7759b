"""Writes for assessment: signing a grid worker's yearly review, and honour rounds (open, nominate
from records / votes / by hand, decide). Each is one transaction with its audit entry."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.scope import Action, Role, require
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.regions.models import Level, Region

from . import selectors
from .models import HonourKind, HonourRound, Nomination, NominationSource, ReviewGrade, RoundStatus, WorkerReview

# Who signs reviews and runs honours: the community and the levels above it, never a grid worker
# (who would be reviewing themselves or a colleague).
REVIEWER_ROLES = frozenset({Role.COMMUNITY, Role.STREET, Role.DISTRICT})
# An honour round takes nominations until it is decided.
ROUND_MACHINE = StateMachine([
    Transition("nominate", RoundStatus.NOMINATING, None),
    Transition("decide", RoundStatus.NOMINATING, RoundStatus.DECIDED, stamp="decided_at"),
])


def _require_reviewer(user, region_path: str) -> None:
    if not (user.is_superuser or user.role in REVIEWER_ROLES):
        raise PermissionDenied(gettext("只有社区、街道或区可以考评、评优"))
    require(user, Action.CHANGE, region_path)


def sign_review(*, worker, year: int, grade: str, comment: str = "", acting_user) -> WorkerReview:
    """Freeze a grid worker's computed score for `year` with the reviewer's grade (once a year)."""
    grid = worker.scope_region
    if worker.role != Role.GRID_WORKER or grid is None:
        raise ValidationError({"worker": "只能考评有网格的网格员"})
    _require_reviewer(acting_user, grid.path)
    if grade not in ReviewGrade.values:
        raise ValidationError({"grade": f"等次须为：{'、'.join(str(label) for label in ReviewGrade.labels)}"})
    today = timezone.localdate()
    # A year is reviewed once it is over, or in its last month (年终考评); earlier would freeze a
    # part-year score and block the real review.
    if not 2000 <= year < today.year and not (year == today.year and today.month == 12):
        raise ValidationError({"year": f"{year}年度尚未结束，年度考评自当年12月起进行"})
    since, until = selectors.year_period(year)
    community = selectors._communities_of([grid]).get(grid.pk)
    rows = selectors.grid_worker_ranking(region=community or grid, since=since, until=until)
    row = next((r for r in rows if r.worker.pk == worker.pk), None)
    if row is None:
        raise ValidationError({"worker": "该网格员不在本社区名单中"})
    computation = {**row.score.as_dict(), "rules": selectors.rules(), "period": [since.isoformat(), until.isoformat()],
                   "community": community.name if community else ""}
    try:
        with transaction.atomic():
            review = WorkerReview.objects.create(
                worker=worker, region=grid, year=year, score=row.score.total, rank_in_community=row.rank_in_community,
                workers_in_community=row.workers_in_community, computation=computation, grade=grade, comment=comment.strip(),
                reviewed_by=acting_user, reviewed_at=timezone.now())
            audit.record(actor=acting_user, action="assessment.review", target=review,
                         detail={"worker": worker.username, "year": year, "score": review.score, "grade": grade})
    except IntegrityError:
        raise ValidationError({"year": f"{worker.get_full_name() or worker.username} {year} 年度已考评"}) from None
    return review


def open_round(*, kind: str, region: Region, year: int, places: int, title: str = "", acting_user) -> HonourRound:
    if kind not in HonourKind.values:
        raise ValidationError({"kind": "未知的荣誉"})
    if region.level not in (Level.DISTRICT, Level.STREET, Level.COMMUNITY):
        raise ValidationError({"region": "评优在区、街道或社区开展"})
    _require_reviewer(acting_user, region.path)
    if places < 1:
        raise ValidationError({"places": "名额至少为 1"})
    if not 2000 <= year <= timezone.localdate().year:
        raise ValidationError({"year": "年度不正确"})
    title = title.strip() or f"{year}年度{region.name}{HonourKind(kind).label}"
    try:
        with transaction.atomic():
            honour_round = HonourRound.objects.create(kind=kind, title=title, region=region, year=year, places=places, created_by=acting_user)
            audit.record(actor=acting_user, action="assessment.round_open", target=honour_round, detail={"title": title})
    except IntegrityError:
        raise ValidationError({"kind": f"{region.name} {year} 年已有“{HonourKind(kind).label}”评选"}) from None
    return honour_round


def _locked_open_round(honour_round: HonourRound, acting_user) -> HonourRound:
    _require_reviewer(acting_user, honour_round.region.path)
    locked = HonourRound.objects.select_for_update().select_related("region").get(pk=honour_round.pk)
    ROUND_MACHINE.move(locked, "nominate", otherwise=ValidationError({"round": "评选已评定，不能再提名"}))
    return locked


def _add(locked: HonourRound, *, acting_user, source: str, name: str, user=None, person=None, score=None, evidence=(), reason="") -> Nomination | None:
    """One nomination unless that candidate is already nominated in the round."""
    existing = Nomination.objects.filter(round=locked)
    if (user is not None and existing.filter(user=user).exists()) or (person is not None and existing.filter(person=person).exists()):
        return None
    return Nomination.objects.create(round=locked, user=user, person=person, name=name[:50], source=source, score=score,
                                     evidence=list(evidence), reason=reason, nominated_by=acting_user)


def nominate_from_records(*, honour_round: HonourRound, acting_user, limit: int | None = None) -> list[Nomination]:
    """Nominate the best on record: grid workers by their assessment score, volunteers by their
    service hours; each nomination carries its figures and a link to them."""
    limit = limit or honour_round.places * 2
    since, until = selectors.year_period(honour_round.year)
    with transaction.atomic():
        locked = _locked_open_round(honour_round, acting_user)
        created = []
        if locked.kind == HonourKind.GRID_WORKER:
            rows = sorted(selectors.grid_worker_ranking(region=locked.region, since=since, until=until),
                          key=lambda r: (-r.score.total, r.worker.username))
            for row in rows[:limit]:
                evidence = [{"label": c.label, "value": c.formula + f" = {c.points:g}"} for c in row.score.components]
                evidence.append({"label": "考评明细", "url": f"/assessment/workers/{row.worker.pk}/?year={locked.year}"})
                created.append(_add(locked, acting_user=acting_user, source=NominationSource.RECORDS, user=row.worker,
                                    name=row.worker.get_full_name() or row.worker.username, score=row.score.total, evidence=evidence,
                                    reason=f"{row.community.name if row.community else ''}考评得分 {row.score.total:g}，社区第 {row.rank_in_community} 名"))
        elif locked.kind in (HonourKind.VOLUNTEER, HonourKind.PARTY_MEMBER):
            from yiwang.registry.models import Person
            from yiwang.volunteers.selectors import hours_by_person

            hours = hours_by_person(region_path=locked.region.path, since=since, until=until)
            people = Person.objects.in_bulk(list(hours))
            if locked.kind == HonourKind.PARTY_MEMBER:
                people = {pk: p for pk, p in people.items() if hasattr(p, "party_membership")}
            ranked = sorted(people.values(), key=lambda p: (-hours[p.pk], p.name))[:limit]
            for person in ranked:
                created.append(_add(locked, acting_user=acting_user, source=NominationSource.RECORDS, person=person, name=person.name,
                                    score=hours[person.pk], evidence=[{"label": "志愿服务时长", "value": f"{hours[person.pk]:g} 小时"},
                                                                      {"label": "服务记录", "url": "/volunteers/"}],
                                    reason=f"{locked.year}年志愿服务 {hours[person.pk]:g} 小时"))
        else:
            raise ValidationError({"round": f"“{HonourKind(locked.kind).label}”按群众投票或组织推荐提名"})
        created = [n for n in created if n is not None]
        audit.record(actor=acting_user, action="assessment.nominate_records", target=locked, detail={"nominated": [n.name for n in created]})
    return created


def nominate_from_ballot(*, honour_round: HonourRound, ballot, acting_user) -> list[Nomination]:
    """Nominate the candidates of a closed vote, with their votes as the evidence."""
    from django.contrib.auth import get_user_model

    from yiwang.registry.models import Person
    from yiwang.votes.models import Phase
    from yiwang.votes.selectors import results

    with transaction.atomic():
        locked = _locked_open_round(honour_round, acting_user)
        if not ballot.region.path.startswith(locked.region.path):
            raise ValidationError({"ballot": "投票不在本次评选的区域内"})
        if ballot.phase() != Phase.PUBLISHED:
            raise ValidationError({"ballot": "投票结果尚未公布"})
        options = [option for question in results(ballot) for option in question.get("options", [])
                   if option.get("person_id") or option.get("user_id")]
        people = Person.objects.in_bulk([o["person_id"] for o in options if o.get("person_id")])
        users = get_user_model().objects.in_bulk([o["user_id"] for o in options if o.get("user_id")])
        created = []
        for option in sorted(options, key=lambda o: -o["count"]):
            person, user = people.get(option.get("person_id")), users.get(option.get("user_id"))
            name = person.name if person is not None else (user.get_full_name() or user.username) if user is not None else option["label"]
            created.append(_add(locked, acting_user=acting_user, source=NominationSource.VOTE, person=person, user=user, name=name,
                                score=option["count"],
                                evidence=[{"label": "投票", "value": f"{ballot.title}:{option['count']} 票（{option['percent']}%）"},
                                          {"label": "投票结果", "url": f"/votes/{ballot.pk}/"}],
                                reason=f"群众投票 {option['count']} 票"))
        created = [n for n in created if n is not None]
        if not created:
            raise ValidationError({"ballot": "该投票没有指名到人的候选项"})
        audit.record(actor=acting_user, action="assessment.nominate_vote", target=locked,
                     detail={"ballot": ballot.pk, "nominated": [n.name for n in created]})
    return created


def nominate(*, honour_round: HonourRound, name: str, reason: str, acting_user, user=None, person=None) -> Nomination:
    """An organisation's own recommendation: the reason is the evidence and must be given."""
    if not reason.strip():
        raise ValidationError({"reason": "组织推荐须写明推荐理由"})
    if not (name.strip() or user or person):
        raise ValidationError({"name": "请填写候选人"})
    with transaction.atomic():
        locked = _locked_open_round(honour_round, acting_user)
        name = name.strip() or (person.name if person else user.get_full_name() or user.username)
        nomination = _add(locked, acting_user=acting_user, source=NominationSource.MANUAL, user=user, person=person, name=name,
                          evidence=[{"label": "推荐理由", "value": reason.strip()}], reason=reason.strip())
        if nomination is None:
            raise ValidationError({"name": f"{name} 已被提名"})
        audit.record(actor=acting_user, action="assessment.nominate", target=locked, detail={"name": name})
    return nomination


def decide_round(*, honour_round: HonourRound, awarded: list[int], acting_user) -> HonourRound:
    """Mark the winners (nomination ids of this round, at most `places`) and close the round."""
    with transaction.atomic():
        locked = _locked_open_round(honour_round, acting_user)
        ids = set(awarded)
        nominations = {n.pk: n for n in Nomination.objects.filter(round=locked)}
        unknown = ids - set(nominations)
        if unknown:
            raise ValidationError({"awarded": f"提名 {sorted(unknown)} 不属于本次评选"})
        if not ids:
            raise ValidationError({"awarded": "请至少选择一名当选者"})
        if len(ids) > locked.places:
            raise ValidationError({"awarded": f"当选 {len(ids)} 人，超过名额 {locked.places} 人"})
        Nomination.objects.filter(pk__in=ids).update(awarded=True)
        ROUND_MACHINE.apply(locked, "decide", timezone.now())
        locked.decided_by = acting_user
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(actor=acting_user, action="assessment.decide", target=locked,
                     detail={"awarded": sorted(nominations[pk].name for pk in ids)})
    return locked
