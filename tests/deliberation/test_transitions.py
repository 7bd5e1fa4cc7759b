"""The transitions table: every (state, action) pair outside it raises, and random sequences of
actions through the services follow it exactly (state, time of each state, one event per move)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.deliberation import flow
from yiwang.deliberation import lifecycle, services
from yiwang.deliberation.lifecycle import IllegalTopicMove
from yiwang.deliberation.models import STATE_TIME_FIELD, AgendaItem, Meeting, Project, Topic, TopicState

EXPECTED = {
    ("raised", "accept"): "grid_discussion",
    ("grid_discussion", "refer"): "consultation",
    ("grid_discussion", "answer"): "decided",
    ("consultation", "decide"): "decided",
    ("decided", "start_work"): "in_progress",
    ("decided", "complete"): "done",
    ("in_progress", "complete"): "done",
    ("done", "close_evaluation"): "evaluated",
    **{(state, "reject"): "rejected" for state in ("raised", "grid_discussion", "consultation")},
    **{(state, "merge"): "merged" for state in ("raised", "grid_discussion", "consultation")},
}


@pytest.mark.parametrize("state", TopicState.values)
@pytest.mark.parametrize("action", [*lifecycle.ACTIONS, "raise", "evaluate"])
def test_the_table_is_exactly_the_legal_moves(state, action):
    expected = EXPECTED.get((state, action))
    if expected is None:
        with pytest.raises(IllegalTopicMove):
            lifecycle.next_state(state, action)
    else:
        assert lifecycle.next_state(state, action) == expected


@pytest.mark.django_db
def test_an_illegal_move_through_a_service_changes_nothing(people, users):
    topic = flow.raised(people)
    for call in (lambda: services.close_evaluation(topic, acting_user=users["community"]),
                 lambda: services.complete_topic(topic, acting_user=users["community"], result="完成"),
                 lambda: services.start_project(topic, acting_user=users["community"], title="p", owner_unit="u")):
        with pytest.raises(IllegalTopicMove):
            call()
    topic.refresh_from_db()
    assert topic.state == "raised" and topic.events.count() == 1 and not Project.objects.exists()


def _do(action: str, topic: Topic, users, other: Topic) -> None:
    """Take `action` through the service that performs it."""
    staff = users["community"]
    today = timezone.localdate()
    if action == "accept":
        services.accept_topic(topic, acting_user=staff)
    elif action in ("refer", "answer"):
        services.record_grid_discussion(topic, acting_user=staff, held_on=today, support=3, oppose=1, summary="意见",
                                        outcome=action, answer="答复")
    elif action == "decide":
        # The agenda item is written straight in the table so that the move itself is what is tested;
        # the savepoint drops it again when the move is refused.
        with transaction.atomic():
            meeting = Meeting.objects.create(region=topic.region, title="会", held_at=timezone.now(), place="亭")
            AgendaItem.objects.filter(topic=topic, decision="pending").update(decision="deferred")
            item = AgendaItem.objects.create(meeting=meeting, topic=topic)
            services.decide(item, acting_user=staff, decision="agreed", text="同意")
    elif action == "start_work":
        services.start_project(topic, acting_user=staff, title="项目", owner_unit="居委会")
    elif action == "complete":
        project = Project.objects.filter(topic=topic).first()
        if project is not None and project.progress < 100:
            services.record_progress(project, acting_user=staff, progress=100, note="完成")
        services.complete_topic(topic, acting_user=staff, result="办结")
    elif action == "close_evaluation":
        services.close_evaluation(topic, acting_user=staff)
    elif action == "reject":
        services.reject_topic(topic, acting_user=staff, reason="理由")
    elif action == "merge":
        services.merge_topic(topic, acting_user=staff, into=other, reason="重复")


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=st.lists(st.sampled_from(lifecycle.ACTIONS), min_size=1, max_size=10))
def test_random_action_sequences_follow_the_table(people, users, actions):
    other = flow.raised(people, "另一个议题")
    topic = flow.raised(people)
    for action in actions:
        before = Topic.objects.get(pk=topic.pk)
        times_before = {f: getattr(before, f) for f in STATE_TIME_FIELD.values()}
        events_before = before.events.count()
        expected = EXPECTED.get((before.state, action))
        # A second project for a topic already at work is refused by the service (not by the table).
        refused_twice = action == "start_work" and before.state == "in_progress"
        try:
            _do(action, before, users, other)
        except IllegalTopicMove:
            assert expected is None, f"{action} from {before.state} should lead to {expected}"
        except ValidationError:
            assert refused_twice, f"{action} from {before.state} refused unexpectedly"
        else:
            assert expected is not None, f"{action} from {before.state} should be refused"
        after = Topic.objects.get(pk=topic.pk)
        if expected is None or refused_twice:
            assert after.state == before.state
            assert {f: getattr(after, f) for f in STATE_TIME_FIELD.values()} == times_before
            assert after.events.count() == events_before
        else:
            assert after.state == expected
            assert after.entered_at(expected) is not None
            assert after.events.count() == events_before + 1
