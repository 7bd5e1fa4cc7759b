"""The demo hook on the small test tree: a moral-bank ledger for 永先社区's residents, rewards,
redemptions and a published red/black list; then everything goes again."""

from __future__ import annotations

import random

import pytest

from tests import factories
from yiwang.demo.generator import delete_rows
from yiwang.pointsbank import demo, selectors
from yiwang.pointsbank.models import Balance, Board, LedgerEntry, Redemption, Reward

pytestmark = pytest.mark.django_db


def test_demo_builds_consistent_rows_and_deletes_them(tree, users, make_user):
    for region in (tree.micro_a1, tree.micro_a2, tree.micro_b1):
        for _ in range(8):
            factories.person(region)
    make_user("gridworker1", "grid_worker", tree.grid_a)
    make_user("gridworker2", "grid_worker", tree.grid_b)
    resident_person = factories.person(tree.micro_a1)
    users["resident"].person = resident_person
    users["resident"].save()
    summary = demo.build(rng=random.Random("7:pointsbank"), district=tree.district, street=tree.street)
    assert "ledger entries" in summary
    assert selectors.balance(bank_code="moral", person=resident_person) > 0
    for row in Balance.objects.all():
        assert row.points == selectors.sum_of_entries(bank_code=row.bank.code, person=row.person) >= 0
    assert Reward.objects.filter(region=tree.community).exists() and Reward.objects.filter(region=tree.street).exists()
    assert Redemption.objects.exists()
    published = Board.objects.filter(status="published")
    assert published.count() == 1 and list(selectors.published_boards_for(resident_person)) == list(published)
    assert not LedgerEntry.objects.filter(granted_by__isnull=True).exists()
    demo.delete(tree.district.path, delete_rows)
    for model in (LedgerEntry, Balance, Redemption, Reward, Board):
        assert not model.objects.exists(), model
