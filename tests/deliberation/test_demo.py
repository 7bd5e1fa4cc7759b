"""The deliberation demo on the small test tree: topics at every step, one meeting with minutes,
one topic turned into a case and one into a project; the delete leaves nothing behind."""

from __future__ import annotations

import random

import pytest

from tests import factories
from yiwang.demo.generator import delete_rows
from yiwang.deliberation import demo
from yiwang.deliberation.models import Evaluation, Meeting, Project, Topic, TopicCase, TopicState

pytestmark = pytest.mark.django_db


def test_build_and_delete(tree, make_user):
    make_user("community", "community", tree.community)
    resident = make_user("resident", "resident", None)
    for _ in range(30):
        factories.person(tree.micro_a1)
    for _ in range(6):
        factories.person(tree.micro_b1)
    summary = demo.build(rng=random.Random(1), district=tree.district, street=tree.street)
    assert summary.startswith("deliberation: "), summary
    assert set(Topic.objects.values_list("state", flat=True)) == set(TopicState.values)
    meeting = Meeting.objects.get()
    assert meeting.minutes and meeting.attendees.count() == 7 and meeting.agenda.count() == 5
    assert TopicCase.objects.count() == 1 and Project.objects.count() == 2
    assert Evaluation.objects.filter(topic__state="done").exists()
    resident.refresh_from_db()
    assert resident.person is not None

    demo.delete(tree.district.path, delete_rows)
    assert not Topic.objects.exists() and not Meeting.objects.exists() and not Evaluation.objects.exists()
