"""Demo rows for this app, built after the closed loop inside `yiwang demo`.

For 永先社区 (the first community of 云枫街道): last half-year's vote on each grid's best
livelihood project, closed and published (as 人民新村 votes every six months, seed 004); an open
satisfaction survey of the whole community; and a closed honour vote for the best grid worker,
waiting for review before it is announced. Votes are cast by a sample of each grid's registered
residents; times are relative to today.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from yiwang.regions.models import Level, Region

from .models import Answer, Ballot, BallotKind, BallotStatus, Option, Question, QuestionKind, Vote

# Candidate projects a grid might put to the vote; each grid gets three to four of them.
PROJECTS = [
    "老旧小区加装电梯", "楼道照明改造", "背街小巷路面修补", "口袋公园建设", "电动自行车集中充电棚", "小区雨污分流改造",
    "适老化扶手安装", "社区食堂开设", "垃圾分类亭改造", "停车位划线与错时共享", "滨湖步道护栏加固", "儿童游乐设施更新",
    "楼顶防水维修", "消防通道清理", "小区监控补盲",
]
SUGGESTIONS = ["希望增加老年人活动", "楼道灯经常坏，请及时修", "停车太难了", "垃圾清运能否早一点", "网格员很负责，点赞",
               "希望多组织亲子活动", "小区门口占道经营较多", "充电棚不够用"]
SATISFACTION_QUESTIONS = [
    ("您对本社区网格员的服务是否满意？", QuestionKind.RATING, [], None),
    ("您最满意的社区服务是？", QuestionKind.SINGLE, ["老年食堂", "便民服务站", "法律咨询", "文体活动"], None),
    ("您希望社区优先解决哪些问题？（最多选两项）", QuestionKind.MULTIPLE, ["停车难", "环境卫生", "噪音扰民", "设施老化", "治安防范"], 2),
    ("其他意见和建议", QuestionKind.TEXT, [], None),
]


def _half_year_before(today) -> tuple[str, datetime, datetime]:
    """The last finished half-year: its label, and a two-week voting window at its end."""
    if today.month > 6:
        label, end_month, year = f"{today.year}年上半年", 6, today.year
    else:
        label, end_month, year = f"{today.year - 1}年下半年", 12, today.year - 1
    closes = timezone.make_aware(datetime(year, end_month, 28, 18, 0))
    return label, closes - timedelta(days=14), closes


def _ballot(*, community: Region, organiser, title: str, kind: str, eligible: Region, opens_at, closes_at, status: str,
            publish_on_close: bool = True, period: str = "", description: str = "") -> Ballot:
    closed = status in (BallotStatus.CLOSED, BallotStatus.PUBLISHED)
    return Ballot.objects.create(
        region=community, title=title, kind=kind, eligible_region=eligible, opens_at=opens_at, closes_at=closes_at, status=status,
        publish_on_close=publish_on_close, period=period, description=description, created_by=organiser,
        opened_at=opens_at - timedelta(days=1), closed_at=closes_at if closed else None,
        published_at=closes_at if status == BallotStatus.PUBLISHED else None)


def _question(ballot: Ballot, position: int, text: str, kind: str, labels, max_choices=None, candidates=None) -> Question:
    question = Question.objects.create(ballot=ballot, position=position, text=text, kind=kind, max_choices=max_choices,
                                       required=kind != QuestionKind.TEXT)
    specs = candidates or [{"label": label} for label in labels]
    Option.objects.bulk_create(Option(question=question, position=n, **spec) for n, spec in enumerate(specs, start=1))
    return question


def _voters(rng: random.Random, region: Region, share: float, cap: int) -> list[tuple[int, int]]:
    from yiwang.registry.models import Person

    people = list(Person.objects.filter(region__path__startswith=region.path).order_by("id").values_list("pk", "region_id")[:5000])
    return rng.sample(people, min(cap, int(len(people) * share)))


def _cast(rng: random.Random, ballot: Ballot, voters, answer) -> int:
    """Votes of `voters` at random moments of the window; `answer(question)` gives one answer's fields."""
    span = (min(ballot.closes_at, timezone.now()) - ballot.opens_at).total_seconds()
    votes = Vote.objects.bulk_create(
        Vote(ballot=ballot, person_id=pk, voter_region_id=region_id, cast_at=ballot.opens_at + timedelta(seconds=rng.uniform(0, span)))
        for pk, region_id in voters)
    questions = list(ballot.questions.prefetch_related("options").order_by("position"))
    rows = []
    for vote in votes:
        for question in questions:
            for fields in answer(question):
                rows.append(Answer(vote=vote, question=question, **fields))
    Answer.objects.bulk_create(rows, batch_size=2000)
    return len(votes)


def _weighted_pick(rng: random.Random, options: list[Option], weights: list[float]) -> Option:
    return rng.choices(options, weights=weights[:len(options)])[0]


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    from yiwang.accounts.models import User
    from yiwang.forces.models import ForceMember, ForceRole

    community = Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code").first()
    if community is None:
        return "votes: no community"
    organiser = User.objects.filter(username="community").first()
    grids = list(Region.objects.filter(parent=community, level=Level.GRID).order_by("code"))
    now = timezone.now()
    ballots = votes = 0

    # Last half-year's project vote, one ballot per grid, published.
    period, opens_at, closes_at = _half_year_before(timezone.localdate())
    for grid in grids:
        ballot = _ballot(community=community, organiser=organiser, title=f"{grid.name}{period}最佳民生实事项目评选", kind=BallotKind.PROJECT,
                         eligible=grid, opens_at=opens_at, closes_at=closes_at, status=BallotStatus.PUBLISHED, period=period,
                         description=f"{grid.name}居民每人一票，选出本网格{period}最好的民生实事项目。")
        _question(ballot, 1, "您认为本网格本期最好的民生实事项目是？", QuestionKind.SINGLE, rng.sample(PROJECTS, rng.randint(3, 4)))
        # Some projects are clearly liked more: weights fall off so each grid has a winner.
        weights = [rng.uniform(4, 6), rng.uniform(2, 3.5), rng.uniform(1, 2), 1.0]
        votes += _cast(rng, ballot, _voters(rng, grid, rng.uniform(0.15, 0.35), 300),
                       lambda q: [{"option": _weighted_pick(rng, list(q.options.all()), weights)}])
        ballots += 1

    # An open satisfaction survey of the whole community.
    survey = _ballot(community=community, organiser=organiser, title=f"{community.name}{now.year}年度居民满意度调查", kind=BallotKind.SATISFACTION,
                     eligible=community, opens_at=now - timedelta(days=5), closes_at=now + timedelta(days=10), status=BallotStatus.OPEN,
                     description="请对社区和网格的服务打分，您的意见将作为网格员考评的参考。")
    for position, (text, kind, labels, max_choices) in enumerate(SATISFACTION_QUESTIONS, start=1):
        _question(survey, position, text, kind, labels, max_choices)

    def survey_answer(question):
        options = list(question.options.all())
        if question.kind == QuestionKind.RATING:
            return [{"rating": rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 6, 12, 10])[0]}]
        if question.kind == QuestionKind.SINGLE:
            return [{"option": rng.choice(options)}]
        if question.kind == QuestionKind.MULTIPLE:
            return [{"option": o} for o in rng.sample(options, rng.randint(1, question.max_choices or 1))]
        return [{"text": rng.choice(SUGGESTIONS)}] if rng.random() < 0.3 else []

    votes += _cast(rng, survey, _voters(rng, community, 0.05, 150), survey_answer)
    ballots += 1

    # A closed honour vote, to be reviewed before it is announced.
    workers = list(ForceMember.objects.filter(region__path__startswith=community.path, active=True,
                                              role__in=[ForceRole.FULL_TIME_WORKER, ForceRole.GRID_CHIEF]).order_by("region__path", "name")[:6])
    if len(workers) >= 2:
        honour = _ballot(community=community, organiser=organiser, title=f"{community.name}{period}优秀网格员评选", kind=BallotKind.HONOUR,
                         eligible=community, opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=2), status=BallotStatus.CLOSED,
                         publish_on_close=False, period=period, description="评选结果经社区党委审核后公布。")
        candidates = [{"label": w.name, "person_id": w.person_id, "user_id": w.user_id} for w in workers]
        _question(honour, 1, "请选出您心目中的优秀网格员（最多选两位）", QuestionKind.MULTIPLE, [], max_choices=2, candidates=candidates)
        weights = [rng.uniform(1, 5) for _ in workers]

        def honour_answer(question):
            options = list(question.options.all())
            picks = {_weighted_pick(rng, options, weights) for _ in range(rng.randint(1, 2))}
            return [{"option": o} for o in picks]

        votes += _cast(rng, honour, _voters(rng, community, 0.04, 120), honour_answer)
        ballots += 1
    return f"votes: {ballots} ballots in {community.name}, {votes} votes"


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go (and votes or
    candidates naming persons who live there, wherever the ballot is)."""
    ballots = Ballot.objects.filter(Q(region__path__startswith=inside) | Q(eligible_region__path__startswith=inside)
                                    | Q(eligible_building__region__path__startswith=inside))
    votes = Vote.objects.filter(Q(ballot__in=ballots) | Q(person__region__path__startswith=inside) | Q(voter_region__path__startswith=inside))
    delete_rows(Answer.objects.filter(vote__in=votes))
    delete_rows(votes)
    delete_rows(Option.objects.filter(Q(question__ballot__in=ballots) | Q(person__region__path__startswith=inside)))
    delete_rows(Question.objects.filter(ballot__in=ballots))
    delete_rows(ballots)
