"""People claiming the last places of a task at the same moment, on real connections: the places
are never exceeded; the same member registering twice at once gets one registration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tests.concurrency import race
from tests.volunteers.factories import in_service_member
from yiwang.volunteers import services
from yiwang.volunteers.models import Registration, TaskClaim

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_four_people_for_two_places(tree, staff, make_task):
    task = make_task(places=2)
    people = [services.register_volunteer(person=factories.person(tree.micro_a1), acting_user=staff).person for _ in range(4)]
    results = race([lambda p=p: services.claim_task(task=task.pk, person=p, acting_user=staff) for p in people])
    won = [r for r in results if isinstance(r, TaskClaim)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 2 and len(refused) == 2, results
    assert all("已满" in r.message_dict["task"][0] for r in refused)
    assert TaskClaim.objects.filter(task=task).count() == 2


def test_same_person_claiming_twice_at_once_holds_one_place(tree, staff, make_task):
    task = make_task(places=5)
    person = services.register_volunteer(person=factories.person(tree.micro_a1), acting_user=staff).person
    results = race([lambda: services.claim_task(task=task.pk, person=person, acting_user=staff) for _ in range(2)])
    assert sum(isinstance(r, TaskClaim) for r in results) == 1, results
    assert TaskClaim.objects.filter(task=task, person=person).count() == 1


def test_same_member_registering_twice_at_once_registers_once(tree, staff):
    member = in_service_member(tree.micro_a1)
    results = race([lambda: services.register_member(member=member.pk, acting_user=staff) for _ in range(2)])
    assert sum(isinstance(r, Registration) for r in results) == 1, results
    assert Registration.objects.filter(member=member).count() == 1
