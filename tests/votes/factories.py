"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

_seq = itertools.count(1)


def ballot(region, **extra):
    from yiwang.votes.models import Ballot

    now = timezone.now()
    values = {"region": region, "eligible_region": region, "title": f"测试投票{next(_seq)}", "kind": "satisfaction",
              "opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=6), "status": "open", "opened_at": now} | extra
    return Ballot.objects.create(**values)


def question(region):
    from yiwang.votes.models import Question

    return Question.objects.create(ballot=ballot(region), position=1, text="您对社区服务是否满意？", kind="rating")


def option(region):
    from yiwang.votes.models import Option, Question

    q = Question.objects.create(ballot=ballot(region), position=1, text="最好的项目", kind="single")
    return Option.objects.create(question=q, position=1, label=f"项目{next(_seq)}")


def vote(region):
    from tests import factories
    from yiwang.votes.models import Vote

    return Vote.objects.create(ballot=ballot(region), person=factories.person(region), voter_region=region, cast_at=timezone.now())


def answer(region):
    from yiwang.votes.models import Answer, Question

    v = vote(region)
    q = Question.objects.create(ballot=v.ballot, position=1, text="评分", kind="rating")
    return Answer.objects.create(vote=v, question=q, rating=4)
