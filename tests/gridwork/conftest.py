"""Fixtures for grid work: matter types for the cases findings open, and key persons with tags."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    # Cases opened by findings queue notifications on commit; run them in-process.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def matter(db):
    from yiwang.matters.models import MatterType

    return MatterType.objects.get(kind="community", code="S0001")  # 邻里纠纷: no required questions


@pytest.fixture
def charging(db):
    from yiwang.matters.models import MatterType

    return MatterType.objects.get(kind="community", code="S0004")  # 电动车违规充电: asks where (required)


@pytest.fixture
def tagged():
    """A person in `region` with the given key-group tags."""
    from yiwang.registry.models import PersonTag

    def make(region, *tags, name=None):
        person = factories.person(region)
        if name:
            person.name = name
            person.save(update_fields=["name"])
        for tag in tags:
            PersonTag.objects.create(person=person, tag=tag)
        return person

    return make
