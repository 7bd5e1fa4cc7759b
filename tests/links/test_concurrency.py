"""Two people linking the same unit, or two units to the same grid, at the same moment, on real
connections: one link is made and the other is refused with a message, never two."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import race
from yiwang.links import services
from yiwang.links.models import Link


def _race(calls) -> list[str]:
    """"made", or "refused: " and the refusal's messages, for each call."""
    return ["refused: " + "; ".join(f"{k}={v}" for k, v in r.message_dict.items()) if isinstance(r, ValidationError) else "made"
            for r in race(calls, expect=ValidationError)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_unit_linked_to_two_grids_at_once(tree, users, units):
    def link(grid, user):
        return lambda: services.create_link(acting_user=users[user], kind="department", region=grid, department=units.department,
                                            starts_on=date(2025, 1, 1))

    outcomes = _race([link(tree.grid_a, "street"), link(tree.grid_b, "community")])
    assert sorted(o.split(":")[0] for o in outcomes) == ["made", "refused"], outcomes
    assert Link.objects.filter(department=units.department, active=True).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_units_linked_to_one_grid_at_once(tree, users, units):
    outcomes = _race([
        lambda: services.create_link(acting_user=users["street"], kind="department", region=tree.grid_a, department=units.department,
                                     starts_on=date(2025, 1, 1)),
        lambda: services.create_link(acting_user=users["community"], kind="party_branch", region=tree.grid_a,
                                     party_organization=units.branch, starts_on=date(2025, 1, 1)),
    ])
    assert sorted(o.split(":")[0] for o in outcomes) == ["made", "refused"], outcomes
    assert Link.objects.filter(region=tree.grid_a, active=True).count() == 1
