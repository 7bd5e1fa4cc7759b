"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools
from datetime import date

from django.utils import timezone

_seq = itertools.count(1)


def _granter(region):
    from yiwang.accounts.models import User

    return User.objects.create_user(username=f"pbg{next(_seq)}", role="grid_worker", scope_region=region)


def _community(region):
    from yiwang.regions.selectors import community_of

    return community_of(region) or region


def ledgerentry(region):
    from tests.factories import person
    from yiwang.pointsbank.services import grant_points

    return grant_points(bank_code="moral", person=person(region), points=2, reason="参加道德讲堂", rule_code="xs_lecture",
                        acting_user=_granter(region))


def balance(region):
    from yiwang.pointsbank.models import Balance

    return Balance.objects.get(pk=ledgerentry(region).person.points_balances.get().pk)


def reward(region):
    from yiwang.pointsbank.models import Bank, Reward

    return Reward.objects.create(bank=Bank.objects.get(code="moral"), region=region, name=f"洗衣液{next(_seq)}", points_cost=10, stock=5)


def redemption(region):
    from yiwang.pointsbank.services import grant_points, redeem

    from tests.factories import person

    entry = grant_points(bank_code="moral", person=person(region), points=30,
                         reason="见义勇为", rule_code="xs_brave", evidence="派出所表扬信", acting_user=_granter(region))
    return redeem(reward=reward(region), person=entry.person, acting_user=entry.granted_by)


def conductrecord(region):
    from tests.factories import person
    from yiwang.pointsbank.models import ConductRecord

    return ConductRecord.objects.create(person=person(region), occurred_on=date.today(), description="高空抛物",
                                        recorded_by=_granter(region), recorded_at=timezone.now())


def board(region):
    from yiwang.pointsbank.models import Bank, Board

    today = date.today()
    return Board.objects.create(region=region, bank=Bank.objects.get(code="moral"), title=f"红黑榜{next(_seq)}",
                                period_start=today.replace(day=1), period_end=today, created_by=_granter(region), created_at=timezone.now())


def boardentry(region):
    from tests.factories import person
    from yiwang.pointsbank.models import BoardEntry

    return BoardEntry.objects.create(board=board(region), kind="red", person=person(region), reason="助人为乐")
