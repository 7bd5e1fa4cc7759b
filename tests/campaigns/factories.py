"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools
from datetime import date

from django.utils import timezone

_seq = itertools.count(1)


def _grid(region):
    return region.parent if region.level == "micro_grid" else region


def campaign(region):
    """A campaign owned by `region` itself (real ones sit at a street; the scope rule is the same)."""
    from yiwang.campaigns.models import Campaign

    return Campaign.objects.create(title=f"测试排查{next(_seq)}", owner=region, task_key="WG-02",
                                   starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 30))


def _checklist_item(camp):
    from yiwang.campaigns.models import ChecklistItem
    from yiwang.matters.models import MatterType

    return ChecklistItem.objects.create(campaign=camp, number=camp.items.count() + 1, text="燃气软管是否老化",
                                        matter=MatterType.objects.get(code="S0003"))


def target(region):
    from tests.factories import place
    from yiwang.campaigns.models import Target

    return Target.objects.create(campaign=campaign(region), place=place(region), region=region, grid=_grid(region))


def targetcheck(region):
    from yiwang.accounts.models import User
    from yiwang.campaigns.models import TargetCheck, TargetStatus

    row = target(region)
    row.status = TargetStatus.CHECKED
    row.save(update_fields=["status"])
    checker = User.objects.create_user(username=f"checker{next(_seq)}", role="grid_worker", scope_region=_grid(region))
    return TargetCheck.objects.create(target=row, checked_by=checker, checked_at=timezone.now())


def itemresult(region):
    from yiwang.campaigns.models import ItemResult

    record = targetcheck(region)
    return ItemResult.objects.create(record=record, item=_checklist_item(record.target.campaign), result="pass")
