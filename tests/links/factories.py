"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.utils import timezone

_seq = itertools.count(1)


def _grid(region):
    """Links attach to grids: a micro-grid's row goes to its grid."""
    return region.parent if region.level == "micro_grid" else region


def link(region, **fields):
    """A street leader linked to the grid (leader links are not one-to-one, so any number fit)."""
    from yiwang.links.models import Link

    n = next(_seq)
    values = {"kind": "street_leader", "region": _grid(region), "leader_name": f"联点领导{n}", "leader_title": "街道党工委委员",
              "contacts_required": 1, "period": "month", "starts_on": date.today() - timedelta(days=400)}
    values.update(fields)
    return Link.objects.create(**values)


def linkvisit(region, **fields):
    from yiwang.links.models import LinkVisit

    values = {"link": fields.pop("link", None) or link(region), "at": timezone.now() - timedelta(days=1), "mode": "face_to_face",
              "summary": f"走访{next(_seq)}"}
    values.update(fields)
    return LinkVisit.objects.create(**values)


def linkproblem(region):
    from yiwang.links.models import LinkProblem

    return LinkProblem.objects.create(visit=linkvisit(region), row=1, description=f"问题{next(_seq)}")
