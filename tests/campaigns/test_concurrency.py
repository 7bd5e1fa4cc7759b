"""Two taps (or two workers) checking one target at the same moment, on real connections: one
check is written, with its cases; the other is told the target is already checked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import race
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
    payload = results(published, i1=("fail", "软管老化"))
    checks = race([lambda user=user: services.record_check(target, acting_user=user, results=payload) for user in checkers],
                  expect=ValidationError)
    outcomes = [("refused" if "target" in r.message_dict else repr(r)) if isinstance(r, ValidationError) else "written" for r in checks]
    assert sorted(outcomes) == ["refused", "refused", "written"], outcomes
    assert TargetCheck.objects.count() == 1 and ItemResult.objects.count() == 3
    assert Case.objects.filter(external_source="campaign").count() == 1
