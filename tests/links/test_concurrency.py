"""Two people linking the same unit, or two units to the same grid, at the same moment, on real
connections: one link is made and the other is refused with a message, never two."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from yiwang.links import services
from yiwang.links.models import Link


def race(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("made")
        except ValidationError as exc:
            outcomes.append("refused: " + "; ".join(f"{k}={v}" for k, v in exc.message_dict.items()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_unit_linked_to_two_grids_at_once(tree, users, units):
    def link(grid, user):
        return lambda: services.create_link(acting_user=users[user], kind="department", region=grid, department=units.department,
                                            starts_on=date(2025, 1, 1))

    outcomes = race([link(tree.grid_a, "street"), link(tree.grid_b, "community")])
    assert sorted(o.split(":")[0] for o in outcomes) == ["made", "refused"], outcomes
    assert Link.objects.filter(department=units.department, active=True).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_units_linked_to_one_grid_at_once(tree, users, units):
    outcomes = race([
        lambda: services.create_link(acting_user=users["street"], kind="department", region=tree.grid_a, department=units.department,
                                     starts_on=date(2025, 1, 1)),
        lambda: services.create_link(acting_user=users["community"], kind="party_branch", region=tree.grid_a,
                                     party_organization=units.branch, starts_on=date(2025, 1, 1)),
    ])
    assert sorted(o.split(":")[0] for o in outcomes) == ["made", "refused"], outcomes
    assert Link.objects.filter(region=tree.grid_a, active=True).count() == 1
