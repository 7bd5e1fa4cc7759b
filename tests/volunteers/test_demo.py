"""The demo hook on the small test tree: posts, in-service members of 永先社区 checked in (most
confirmed), volunteers, past tasks with recorded hours and points in the banks, upcoming tasks the
demo party member can still claim, a few evaluations; delete() removes the rows."""

from __future__ import annotations

import random

import pytest

from tests.volunteers.factories import in_service_member
from yiwang.demo.generator import delete_rows
from yiwang.pointsbank.models import LedgerEntry
from yiwang.volunteers import demo, selectors
from yiwang.volunteers.models import Evaluation, Registration, ServicePost, ServiceTask, TaskClaim, Volunteer

pytestmark = pytest.mark.django_db


def test_build_then_delete(tree, users, make_user):
    from tests import factories

    members = [in_service_member(tree.micro_a1 if i % 2 else tree.micro_b1) for i in range(10)]
    make_user("partymember", "resident", None, person=members[0].person)
    for _ in range(15):
        factories.person(tree.micro_a2)

    summary = demo.build(rng=random.Random("7:volunteers"), district=tree.district, street=tree.street)
    assert summary.startswith("volunteers: 5 posts, 10 dual check-ins (6 confirmed)"), summary
    assert Registration.objects.filter(status="pending").count() == 3
    assert Registration.objects.filter(status="rejected").count() == 1
    assert Volunteer.objects.count() == 12
    completed = TaskClaim.objects.filter(status="completed")
    assert completed.exists() and all(c.ledger_entry_id for c in completed)
    assert LedgerEntry.objects.filter(source="volunteers").count() == completed.count()
    # The demo party member is confirmed and every upcoming task still has a place for them.
    page = selectors.member_page(members[0].person)
    assert page.registration.status == "confirmed"
    assert len(page.open_tasks) == 3 and all(claim is None and taken < task.places for task, taken, claim in page.open_tasks)
    assert Evaluation.objects.count() == 5

    demo.delete(tree.district.path, delete_rows)
    for model in (ServicePost, Registration, Volunteer, ServiceTask, TaskClaim, Evaluation):
        assert not model.objects.exists(), model
