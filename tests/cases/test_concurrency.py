"""Two people acting on the same case at the same moment, on real connections: one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from yiwang.cases import services
from yiwang.cases.lifecycle import IllegalTransition


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_dispatch_and_reject_one_wins(users, report):
    case = report("S0001").case
    barrier = threading.Barrier(4)
    outcomes = []

    def act(action, user):
        try:
            barrier.wait()
            services.perform(case.pk, action, acting_user=users[user], note="并发测试")
            outcomes.append(action)
        except IllegalTransition:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=args) for args in
               [("accept", "community"), ("reject", "street"), ("accept", "district"), ("reject", "community")]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes).count("refused") == 3, outcomes
    case.refresh_from_db()
    winner = next(o for o in outcomes if o != "refused")
    assert case.status == {"accept": "accepted", "reject": "rejected"}[winner]
    assert list(case.events.values_list("action", flat=True)) == ["report", winner]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_intakes_and_moves_keep_the_rollups_exact(users, report):
    """Eight writers report and accept cases in one grid at once: they share every rollup row of the
    street and district, add to them (never overwrite) and do not deadlock."""
    from yiwang.cases import rollups
    from yiwang.cases.indicators import indicators
    from yiwang.cases.models import Case

    barrier = threading.Barrier(8)
    errors = []

    def work(i):
        try:
            barrier.wait()
            for _ in range(3):
                case = report("S0001").case
                services.perform(case.pk, "accept", acting_user=users["community"], note=f"并发{i}")
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    street = users["street"].scope_region
    got = rollups.counted(rollups.Filter(regions=(street.pk,)))[None]
    expected = indicators(Case.objects.filter(region__path__startswith=street.path))
    assert (got.cases, got.open, got.open_overdue) == (expected.cases, expected.open, expected.open_overdue) == (24, 24, 0)
