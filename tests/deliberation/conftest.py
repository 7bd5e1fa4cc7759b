"""Fixtures for deliberation: residents with their own registry rows in grid A and grid B, one
without, and a matter type for the cases a decided topic opens."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    # Cases opened from topics queue notifications on commit; run them in-process.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def people(tree, users, make_user):
    from tests import factories

    person_a = factories.person(tree.micro_a1)
    person_a2 = factories.person(tree.micro_a2)
    person_b = factories.person(tree.micro_b1)
    far = factories.person(tree.other_street)
    resident = users["resident"]
    resident.person = person_a
    resident.save()
    neighbour = make_user("neighbour", "resident", None, person=person_a2)
    resident_b = make_user("resident_b", "resident", None, person=person_b)
    stranger = make_user("stranger", "resident", None, person=far)
    nobody = make_user("nobody", "resident", None)
    return SimpleNamespace(a=person_a, a2=person_a2, b=person_b, far=far, resident=resident, neighbour=neighbour,
                           resident_b=resident_b, stranger=stranger, nobody=nobody)


@pytest.fixture
def matter(db):
    from yiwang.matters.models import MatterType

    return MatterType.objects.get(kind="community", code="S0001")  # 邻里纠纷: no required questions


@pytest.fixture
def charging(db):
    from yiwang.matters.models import MatterType

    return MatterType.objects.get(kind="community", code="S0004")  # 电动车违规充电: asks where (required)
