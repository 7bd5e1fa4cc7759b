"""The demo campaigns: a gas check of 三合一 places and a drowning-prevention check of households,
published through admission, some checks done, failed items with cases; and a clean delete."""

from __future__ import annotations

import random

import pytest

from yiwang.campaigns import demo
from yiwang.campaigns.models import Campaign, ItemResult, Status, Target, TargetCheck
from yiwang.demo.generator import delete_rows

pytestmark = pytest.mark.django_db


def test_demo_campaigns(tree, users, places):
    from tests.factories import household
    from yiwang.duties import demo as duties_demo
    from yiwang.registry.models import Person, PersonTag

    for n in range(4):
        home = household(tree.micro_a1 if n % 2 else tree.micro_b1)
        PersonTag.objects.create(person=Person.objects.create(region=home.region, name=f"孩子{n}", household=home), tag="QS05")
    duties_demo.build(rng=random.Random("7:duties"), district=tree.district, street=tree.street)
    summary = demo.build(rng=random.Random("7:campaigns"), district=tree.district, street=tree.street)
    campaigns = {c.title: c for c in Campaign.objects.all()}
    assert set(campaigns) == {"三合一场所燃气安全专项排查", "防溺水安全专项排查"}, summary
    assert all(c.status == Status.PUBLISHED and c.task_key == "WG-02" for c in campaigns.values())
    assert campaigns["三合一场所燃气安全专项排查"].targets.count() == 3
    assert campaigns["防溺水安全专项排查"].targets.count() == 4
    assert TargetCheck.objects.exists() and "checks" in summary
    for result in ItemResult.objects.filter(result="fail"):
        assert result.case is not None and result.case.matter_id == result.item.matter_id
    demo.delete(tree.street.path, delete_rows)
    assert not Campaign.objects.exists() and not Target.objects.exists() and not ItemResult.objects.exists()
