"""Redemptions racing on real connections: the last stock item or the last points go to one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tests.concurrency import race
from yiwang.pointsbank import selectors, services
from yiwang.pointsbank.models import Bank, LedgerEntry, Redemption, Reward

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _race(calls) -> list[str]:
    """"ok", or the fields a refusal names, for each call."""
    return [",".join(sorted(r.message_dict)) if isinstance(r, ValidationError) else "ok" for r in race(calls, expect=ValidationError)]


def _rich_person(tree, users, points=100):
    person = factories.person(tree.micro_a1)
    services.grant_points(bank_code="moral", person=person, points=points, reason="累计", acting_user=users["worker_a"])
    return person


def test_two_residents_race_for_the_last_item(tree, users):
    reward = Reward.objects.create(bank=Bank.objects.get(code="moral"), region=tree.community, name="电饭煲", points_cost=50, stock=1)
    first, second = _rich_person(tree, users), _rich_person(tree, users)
    outcomes = _race([lambda p=p: services.redeem(reward=reward, person=p, acting_user=users["worker_a"]) for p in (first, second)])
    assert sorted(outcomes) == ["ok", "stock"], outcomes
    reward.refresh_from_db()
    assert reward.stock == 0 and Redemption.objects.filter(reward=reward).count() == 1
    # The loser kept their points: no debit was written for them.
    balances = sorted(selectors.balance(bank_code="moral", person=p) for p in (first, second))
    assert balances == [50, 100]


def test_two_redemptions_race_for_the_last_points(tree, users):
    moral = Bank.objects.get(code="moral")
    rice = Reward.objects.create(bank=moral, region=tree.community, name="大米5斤", points_cost=30, stock=10)
    oil = Reward.objects.create(bank=moral, region=tree.community, name="菜籽油", points_cost=30, stock=10)
    person = _rich_person(tree, users, points=40)
    outcomes = _race([lambda r=r: services.redeem(reward=r, person=person, acting_user=users["worker_a"]) for r in (rice, oil)])
    assert sorted(outcomes) == ["ok", "points"], outcomes
    assert selectors.balance(bank_code="moral", person=person) == 10 == selectors.sum_of_entries(bank_code="moral", person=person)
    assert LedgerEntry.objects.filter(person=person, kind="redeem").count() == 1
    rice.refresh_from_db()
    oil.refresh_from_db()
    assert rice.stock + oil.stock == 19
