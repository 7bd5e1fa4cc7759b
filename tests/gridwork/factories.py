"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

_seq = itertools.count(1)


def patrollog(region, **fields):
    from yiwang.gridwork.models import PatrolLog

    values = {"region": region, "worker_name": "网格员", "at": timezone.now() - timedelta(hours=2), "summary": f"巡查{next(_seq)}"}
    values.update(fields)
    return PatrolLog.objects.create(**values)


def homevisit(region, **fields):
    from yiwang.gridwork.models import HomeVisit

    persons = fields.pop("persons", ())
    values = {"region": region, "worker_name": "网格员", "at": timezone.now() - timedelta(hours=1), "summary": f"走访{next(_seq)}"}
    values.update(fields)
    visit = HomeVisit.objects.create(**values)
    if persons:
        visit.persons.set(persons)
    return visit


def finding(region):
    from yiwang.gridwork.models import Finding

    return Finding.objects.create(region=region, patrol=patrollog(region), row=1, description=f"问题{next(_seq)}")


def careplan(region, **fields):
    """A plan at `region` (the services put plans on districts, streets and communities; the scope
    tests only need a row inside the grid)."""
    from yiwang.gridwork.models import CarePlan

    values = {"region": region, "group": "elderly_alone", "frequency_days": 7, "starts_on": timezone.localdate() - timedelta(days=60)}
    values.update(fields)
    return CarePlan.objects.create(**values)
