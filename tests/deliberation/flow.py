"""Walk a topic through the five steps with the services, for tests that need one at a given step."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from yiwang.deliberation import services


def raised(people, title="楼下路灯不亮"):
    return services.raise_topic(acting_user=people.resident, title=title, description="3栋门口路灯坏了一个月")


def in_grid(people, worker):
    return services.accept_topic(raised(people), acting_user=worker)


def referred(people, worker):
    return services.record_grid_discussion(in_grid(people, worker), acting_user=worker, held_on=timezone.localdate(), support=12,
                                           oppose=1, summary="多数居民赞成加装路灯", outcome="refer")


def meeting_for(tree, community_user, topics):
    return services.create_meeting(acting_user=community_user, region=tree.community, title="永先社区协商议事会",
                                   held_at=timezone.now() - timedelta(hours=1), place="红枫·花园议事廊", topics=topics)


def decided(tree, people, users):
    topic = referred(people, users["worker_a"])
    meeting = meeting_for(tree, users["community"], [topic])
    services.decide(meeting.agenda.get(), acting_user=users["community"], decision="agreed", text="由社区联系供电公司加装路灯")
    topic.refresh_from_db()
    return topic


def done(tree, people, users):
    topic = decided(tree, people, users)
    project = services.start_project(topic, acting_user=users["community"], title="加装路灯", owner_unit="永先社区居委会",
                                     milestones=[("采购", None), ("安装", None)])
    services.record_progress(project, acting_user=users["community"], progress=100, note="已安装",
                             milestones_done=list(project.milestones.values_list("pk", flat=True)))
    topic = services.complete_topic(topic, acting_user=users["community"], result="路灯已安装")
    return topic
