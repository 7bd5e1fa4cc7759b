"""The five steps through the services: who may do what, the transitions table, atomic conversion
to cases, projects, and one evaluation per resident."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.deliberation import flow
from yiwang.cases.models import Case
from yiwang.core.models import AuditEntry
from yiwang.deliberation import lifecycle, selectors, services
from yiwang.deliberation.lifecycle import IllegalTopicMove
from yiwang.deliberation.models import AgendaItem, Evaluation, Topic, TopicCase, TopicEvent, TopicState

pytestmark = pytest.mark.django_db


# 居民提事 ------------------------------------------------------------------------------------------

def test_a_resident_raises_a_topic_in_their_grid(tree, people):
    topic = flow.raised(people)
    assert topic.region == tree.grid_a  # the person lives in a micro-grid of grid A
    assert topic.person == people.a and topic.raised_by == people.resident
    assert topic.state == TopicState.RAISED and topic.raised_at is not None
    assert list(topic.events.values_list("action", "to_state")) == [("raise", "raised")]
    assert AuditEntry.objects.filter(action="deliberation.raise", target_id=str(topic.pk)).exists()


def test_a_resident_without_a_registry_row_is_told_to_register(people):
    with pytest.raises(ValidationError) as caught:
        services.raise_topic(acting_user=people.nobody, title="停车难", description="晚上没有车位")
    assert caught.value.message_dict == {"person": ["请先到社区登记本人信息"]}
    assert not Topic.objects.exists()


def test_a_resident_cannot_raise_in_someone_elses_name(people):
    with pytest.raises(PermissionDenied):
        services.raise_topic(acting_user=people.resident, title="停车难", description="晚上没有车位", person=people.b)


def test_bad_input_names_the_fields_and_writes_nothing(people):
    with pytest.raises(ValidationError) as caught:
        services.raise_topic(acting_user=people.resident, title=" ", description="", location="x" * 201)
    assert set(caught.value.message_dict) == {"title", "description", "location"}
    assert not Topic.objects.exists() and not TopicEvent.objects.exists()


def test_staff_raise_for_a_named_resident_inside_their_scope_only(tree, users, people):
    topic = services.raise_topic(acting_user=users["worker_a"], title="垃圾桶满溢", description="每天溢出", person=people.a2)
    assert topic.person == people.a2 and topic.raised_by == users["worker_a"]
    with pytest.raises(PermissionDenied):
        services.raise_topic(acting_user=users["worker_b"], title="垃圾桶满溢", description="每天溢出", person=people.a2)
    with pytest.raises(PermissionDenied):
        services.raise_topic(acting_user=users["department"], title="垃圾桶满溢", description="每天溢出", person=people.a2)
    with pytest.raises(ValidationError) as caught:
        services.raise_topic(acting_user=users["worker_a"], title="垃圾桶满溢", description="每天溢出")
    assert "person" in caught.value.message_dict


# 网格议事 ------------------------------------------------------------------------------------------

def test_the_grid_refers_a_topic_with_its_view(people, users):
    topic = flow.referred(people, users["worker_a"])
    assert topic.state == TopicState.CONSULTATION
    assert (topic.grid_support, topic.grid_oppose, topic.grid_outcome) == (12, 1, "refer")
    assert topic.raised_at <= topic.grid_discussion_at <= topic.consultation_at
    assert list(topic.events.values_list("action", flat=True)) == ["raise", "accept", "refer"]


def test_the_grid_answers_a_topic_itself(people, users):
    topic = flow.in_grid(people, users["worker_a"])
    with pytest.raises(ValidationError) as caught:
        services.record_grid_discussion(topic, acting_user=users["worker_a"], held_on=timezone.localdate(), support=3, oppose=-1,
                                        summary="", outcome="answer")
    assert set(caught.value.message_dict) == {"oppose", "summary", "answer"}
    topic.refresh_from_db()
    assert topic.state == TopicState.GRID_DISCUSSION and topic.grid_support is None
    topic = services.record_grid_discussion(topic, acting_user=users["worker_a"], held_on=timezone.localdate(), support=5, oppose=0,
                                            summary="属物业职责", outcome="answer", answer="已协调物业本周维修")
    assert topic.state == TopicState.DECIDED and topic.decision_text == "已协调物业本周维修"


def test_only_staff_over_the_grid_move_a_topic(people, users):
    topic = flow.raised(people)
    for user in (users["worker_b"], users["department"], people.resident):
        with pytest.raises(PermissionDenied):
            services.accept_topic(topic, acting_user=user)
    topic.refresh_from_db()
    assert topic.state == TopicState.RAISED and topic.grid_discussion_at is None


def test_reject_and_merge_need_a_reason(people, users):
    first, second = flow.raised(people, "路灯"), flow.raised(people, "路灯不亮")
    with pytest.raises(ValidationError):
        services.reject_topic(first, acting_user=users["worker_a"], reason=" ")
    merged = services.merge_topic(second, acting_user=users["worker_a"], into=first, reason="同一件事")
    assert merged.state == TopicState.MERGED and merged.merged_into == first and merged.merged_at is not None
    with pytest.raises(ValidationError) as caught:
        services.merge_topic(first, acting_user=users["worker_a"], into=merged, reason="x")
    assert "into" in caught.value.message_dict
    rejected = services.reject_topic(first, acting_user=users["worker_a"], reason="不属于公共事务")
    assert rejected.state == TopicState.REJECTED and rejected.closing_reason == "不属于公共事务"
    with pytest.raises(IllegalTopicMove):
        services.accept_topic(rejected, acting_user=users["worker_a"])


# 协商定事 ------------------------------------------------------------------------------------------

def test_a_meeting_decides_its_agenda(tree, people, users):
    agreed, refused, later = (flow.referred(people, users["worker_a"]) for _ in range(3))
    meeting = flow.meeting_for(tree, users["community"], [agreed, refused, later])
    services.add_attendee(meeting, acting_user=users["community"], kind="resident_rep", person=people.a)
    services.add_attendee(meeting, acting_user=users["community"], kind="property", name="李经理", unit="宇强物业")
    services.record_minutes(meeting, acting_user=users["community"], minutes="到会 12 人,议题三项")
    items = {item.topic_id: item for item in meeting.agenda.all()}
    services.decide(items[agreed.pk], acting_user=users["community"], decision="agreed", text="同意加装")
    services.decide(items[refused.pk], acting_user=users["community"], decision="rejected", text="不属于小区公共事务")
    services.decide(items[later.pk], acting_user=users["community"], decision="deferred", text="待物业报价后再议")
    states = dict(Topic.objects.values_list("pk", "state"))
    assert (states[agreed.pk], states[refused.pk], states[later.pk]) == ("decided", "rejected", "consultation")
    assert set(meeting.attendees.values_list("name", "kind")) == {(people.a.name, "resident_rep"), ("李经理", "property")}
    with pytest.raises(ValidationError):  # decided once
        services.decide(items[agreed.pk], acting_user=users["community"], decision="rejected", text="改主意")
    # The deferred topic goes on a later meeting.
    second = flow.meeting_for(tree, users["community"], [later])
    assert second.agenda.get().topic_id == later.pk


def test_a_topic_waits_on_one_agenda_and_only_when_referred(tree, people, users):
    topic = flow.referred(people, users["worker_a"])
    flow.meeting_for(tree, users["community"], [topic])
    with pytest.raises(ValidationError) as caught:
        flow.meeting_for(tree, users["community"], [topic])
    assert "已列入" in caught.value.message_dict["topics"][0]
    with pytest.raises(ValidationError) as caught:
        flow.meeting_for(tree, users["community"], [flow.raised(people)])
    assert "待协商" in caught.value.message_dict["topics"][0]
    with pytest.raises(ValidationError):  # on an agenda: the meeting decides, not a side door
        services.reject_topic(topic, acting_user=users["worker_a"], reason="x")


def test_meetings_belong_to_a_community_or_grid_within_scope(tree, people, users):
    topic_b = services.raise_topic(acting_user=people.resident_b, title="B 网格的事", description="说明")
    with pytest.raises(PermissionDenied):
        services.create_meeting(acting_user=users["worker_a"], region=tree.community, title="会", held_at=timezone.now(), place="亭")
    with pytest.raises(ValidationError) as caught:
        services.create_meeting(acting_user=users["community"], region=tree.street, title="会", held_at=timezone.now(), place="亭")
    assert "region" in caught.value.message_dict
    services.accept_topic(topic_b, acting_user=users["worker_b"])
    services.record_grid_discussion(topic_b, acting_user=users["worker_b"], held_on=timezone.localdate(), support=1, oppose=0,
                                    summary="s", outcome="refer")
    with pytest.raises(ValidationError) as caught:
        services.create_meeting(acting_user=users["worker_a"], region=tree.grid_a, title="会", held_at=timezone.now(), place="亭",
                                topics=[Topic.objects.get(pk=topic_b.pk)])
    assert "不在" in caught.value.message_dict["topics"][0]


def test_no_decision_before_the_meeting(tree, people, users):
    topic = flow.referred(people, users["worker_a"])
    meeting = services.create_meeting(acting_user=users["community"], region=tree.community, title="会",
                                      held_at=timezone.now() + timedelta(days=2), place="亭", topics=[topic])
    with pytest.raises(ValidationError) as caught:
        services.decide(meeting.agenda.get(), acting_user=users["community"], decision="agreed", text="同意")
    assert "尚未召开" in caught.value.message_dict["decision"][0]
    assert AgendaItem.objects.get().decision == "pending"


# 联动办事 ------------------------------------------------------------------------------------------

def test_a_decided_topic_opens_cases_in_one_transaction(tree, people, users, matter, charging):
    topic = flow.decided(tree, people, users)
    with pytest.raises(ValidationError) as caught:
        services.open_cases(topic, acting_user=users["community"], cases=[
            services.CaseInput(matter=matter, description="协调邻里"),
            services.CaseInput(matter=charging, description="楼道充电"),  # its required question is unanswered
        ])
    assert any(key.startswith("cases[2].") for key in caught.value.message_dict)
    assert not Case.objects.exists() and not TopicCase.objects.exists()
    topic.refresh_from_db()
    assert topic.state == TopicState.DECIDED and topic.in_progress_at is None

    links = services.open_cases(topic, acting_user=users["community"], cases=[services.CaseInput(matter=matter, description="协调邻里")])
    case = links[0].case
    assert (case.region, case.external_source, case.external_id) == (tree.grid_a, "deliberation", f"{topic.pk}-1")
    topic.refresh_from_db()
    assert topic.state == TopicState.IN_PROGRESS and topic.in_progress_at is not None
    # More cases may follow while in progress; the numbering carries on.
    more = services.open_cases(topic, acting_user=users["community"], cases=[{"matter": matter, "description": "再协调"}])
    assert more[0].case.external_id == f"{topic.pk}-2"
    with pytest.raises(ValidationError) as caught:
        services.complete_topic(topic, acting_user=users["community"], result="办完了")
    assert case.number in caught.value.message_dict["result"][0]


def test_a_project_records_progress_and_completes_at_100(tree, people, users):
    topic = flow.decided(tree, people, users)
    with pytest.raises(ValidationError) as caught:
        services.start_project(topic, acting_user=users["community"], title="", owner_unit="", milestones=[("", None)])
    assert set(caught.value.message_dict) == {"title", "owner_unit", "milestones[1].title"}
    project = services.start_project(topic, acting_user=users["community"], title="加装路灯", owner_unit="永先社区居委会",
                                     milestones=[("采购", None), ("安装", None)])
    first, second = project.milestones.all()
    services.record_progress(project, acting_user=users["worker_a"], progress=40, note="已采购", milestones_done=[first.pk])
    with pytest.raises(ValidationError) as caught:
        services.record_progress(project, acting_user=users["worker_a"], progress=30, note="倒退")
    assert "40%" in caught.value.message_dict["progress"][0]
    with pytest.raises(ValidationError):
        services.record_progress(project, acting_user=users["worker_a"], progress=101, note="超了")
    with pytest.raises(ValidationError) as caught:
        services.complete_topic(topic, acting_user=users["community"], result="完成")
    assert "40%" in caught.value.message_dict["result"][0]
    services.record_progress(project, acting_user=users["worker_a"], progress=100, note="已安装", milestones_done=[second.pk])
    project.refresh_from_db()
    assert project.progress == 100 and list(project.updates.values_list("progress", flat=True)) == [40, 100]
    assert all(m.done_at for m in project.milestones.all())
    topic = services.complete_topic(topic, acting_user=users["community"], result="路灯已安装")
    assert topic.state == TopicState.DONE and topic.done_at is not None


# 群众评事 ------------------------------------------------------------------------------------------

def test_residents_of_the_community_evaluate_once_each(tree, people, users):
    topic = flow.done(tree, people, users)
    services.evaluate(topic, acting_user=people.resident, score=5, comment="很满意")
    services.evaluate(topic, acting_user=people.resident_b, score=3)  # grid B, same community
    with pytest.raises(ValidationError) as caught:
        services.evaluate(topic, acting_user=people.resident, score=1)
    assert "已评议" in caught.value.message_dict["score"][0]
    with pytest.raises(ValidationError) as caught:
        services.evaluate(topic, acting_user=people.stranger, score=1)
    assert "person" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.evaluate(topic, acting_user=people.neighbour, score=6)
    assert "score" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.evaluate(topic, acting_user=people.nobody, score=4)
    assert caught.value.message_dict == {"person": ["请先到社区登记本人信息"]}
    # Staff record a neighbour's paper form for them.
    services.evaluate(topic, acting_user=users["worker_a"], score=4, person=people.a2)
    assert selectors.evaluation_summary(topic) == {"count": 3, "average": 4.0}
    topic = services.close_evaluation(topic, acting_user=users["community"])
    assert topic.state == TopicState.EVALUATED and topic.evaluated_at is not None
    with pytest.raises(ValidationError) as caught:
        services.evaluate(topic, acting_user=people.neighbour, score=4)
    assert "评议期" in caught.value.message_dict["score"][0]
    assert Evaluation.objects.count() == 3


def test_no_evaluation_before_done(people, users):
    topic = flow.in_grid(people, users["worker_a"])
    with pytest.raises(ValidationError) as caught:
        services.evaluate(topic, acting_user=people.resident, score=5)
    assert "尚未办结" in caught.value.message_dict["score"][0]


def test_state_times_are_kept_for_every_step(tree, people, users):
    topic = flow.done(tree, people, users)
    topic = services.close_evaluation(topic, acting_user=users["community"])
    times = [topic.raised_at, topic.grid_discussion_at, topic.consultation_at, topic.decided_at, topic.in_progress_at, topic.done_at,
             topic.evaluated_at]
    assert all(times) and times == sorted(times)
    assert [row["reached"] for row in selectors.steps(topic)] == [True] * 5
    assert list(topic.events.values_list("action", flat=True)) == [
        "raise", "accept", "refer", "decide", "start_work", "complete", "close_evaluation"]
    assert lifecycle.actions_from(topic.state) == []
