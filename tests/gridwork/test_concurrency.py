"""Two people setting the same key group's care plan for the same community at the same moment, on
real connections: whatever the order, exactly one plan is in force afterwards."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import race
from yiwang.gridwork import services
from yiwang.gridwork.models import CarePlan


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_plans_set_at_once_leave_one_in_force(tree, users):
    def plan(user, frequency):
        return lambda: services.set_care_plan(acting_user=users[user], region=tree.community, group="elderly_alone", frequency_days=frequency)

    results = race([plan("community", 7), plan("street", 14)], expect=ValidationError)
    outcomes = ["refused: " + "; ".join(r.messages) if isinstance(r, ValidationError) else "made" for r in results]
    assert len(outcomes) == 2 and "made" in outcomes, outcomes
    assert all(o == "made" or "刚刚已被设置" in o for o in outcomes), outcomes
    assert CarePlan.objects.filter(region=tree.community, group="elderly_alone", active=True).count() == 1
    # A plan replaced by the other one ended, rather than disappearing.
    assert CarePlan.objects.filter(region=tree.community, group="elderly_alone").count() == outcomes.count("made")
