"""Two taps (or two workers) checking one target at the same moment, on real connections: one
check is written, with its cases; the other is told the target is already checked."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from yiwang.campaigns import services
from yiwang.campaigns.models import ItemResult, TargetCheck
from yiwang.cases.models import Case

from .conftest import results


@pytest.fixture(autouse=True)
def _catalogue():
    from yiwang.matters import catalogue

    catalogue.ensure()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_checks_of_one_target_write_one(users, published, places, make_user, tree):
    target = published.targets.get(place=places["a1"])
    second = make_user("worker_a2", "grid_worker", tree.grid_a)
    checkers = [users["worker_a"], second, users["worker_a"]]
    barrier = threading.Barrier(len(checkers))
    outcomes = []
    payload = results(published, i1=("fail", "软管老化"))

    def check(user):
        try:
            barrier.wait()
            services.record_check(target, acting_user=user, results=payload)
            outcomes.append("written")
        except ValidationError as exc:
            outcomes.append("refused" if "target" in exc.message_dict else repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=check, args=(user,)) for user in checkers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["refused", "refused", "written"], outcomes
    assert TargetCheck.objects.count() == 1 and ItemResult.objects.count() == 3
    assert Case.objects.filter(external_source="campaign").count() == 1
