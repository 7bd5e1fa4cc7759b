"""Fixtures: residents of 永先社区 with accounts, and a reward stocked at the community."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def person_a(tree):
    p = factories.person(tree.micro_a1)
    p.name = "张秀英"
    p.save(update_fields=["name"])
    return p


@pytest.fixture
def person_b(tree):
    p = factories.person(tree.micro_b1)
    p.name = "李建国"
    p.save(update_fields=["name"])
    return p


@pytest.fixture
def resident_a(person_a, make_user):
    return make_user("resident_a", "resident", None, person=person_a)


@pytest.fixture
def moral():
    from yiwang.pointsbank.models import Bank

    return Bank.objects.get(code="moral")


@pytest.fixture
def reward(tree, moral):
    from yiwang.pointsbank.models import Reward

    return Reward.objects.create(bank=moral, region=tree.community, name="洗衣液一瓶", points_cost=10, stock=3)
