"""Two clicks at once still leave one evaluation per resident per topic."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import race
from tests.deliberation import flow
from yiwang.deliberation import services
from yiwang.deliberation.models import Evaluation


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_evaluations_at_once_keep_one(tree, people, users):
    topic = flow.done(tree, people, users)
    # A database lock error is an outcome too.
    results = race([lambda score=score: services.evaluate(topic, acting_user=people.resident, score=score) for score in (4, 5)])
    outcomes = ["refused:" + r.message_dict["score"][0] if isinstance(r, ValidationError) else f"error:{r}" if isinstance(r, Exception) else "ok"
                for r in results]
    assert sorted(o.split(":")[0] for o in outcomes) == ["ok", "refused"], outcomes
    assert Evaluation.objects.filter(topic=topic, person=people.a).count() == 1
