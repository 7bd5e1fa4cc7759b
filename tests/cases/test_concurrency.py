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
