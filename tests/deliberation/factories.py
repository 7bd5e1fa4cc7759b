"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools

from django.utils import timezone

_seq = itertools.count(1)


def _grid(region):
    return region.parent if region.level == "micro_grid" else region


def topic(region, *, state: str = "raised", person=None):
    from tests import factories
    from yiwang.deliberation.models import Topic

    now = timezone.now()
    return Topic.objects.create(region=_grid(region), person=person or factories.person(region), title=f"议题{next(_seq)}",
                                description="楼道灯坏了", raised_at=now, state=state)


def topicevent(region):
    from yiwang.deliberation.models import TopicEvent

    return TopicEvent.objects.create(topic=topic(region), action="raise", to_state="raised", at=timezone.now())


def meeting(region):
    from yiwang.deliberation.models import Meeting

    return Meeting.objects.create(region=_grid(region), title=f"协商议事会{next(_seq)}", held_at=timezone.now(), place="议事亭")


def agendaitem(region):
    from yiwang.deliberation.models import AgendaItem

    return AgendaItem.objects.create(meeting=meeting(region), topic=topic(region, state="consultation"))


def attendee(region):
    from yiwang.deliberation.models import Attendee

    return Attendee.objects.create(meeting=meeting(region), kind="resident_rep", name="张代表")


def topiccase(region):
    from tests import factories
    from yiwang.deliberation.models import TopicCase

    return TopicCase.objects.create(topic=topic(region, state="in_progress"), case=factories.case(_grid(region)), created_at=timezone.now())


def project(region):
    from yiwang.deliberation.models import Project

    return Project.objects.create(topic=topic(region, state="in_progress"), title="加装路灯", owner_unit="社区居委会", created_at=timezone.now())


def milestone(region):
    from yiwang.deliberation.models import Milestone

    return Milestone.objects.create(project=project(region), title="采购")


def progressupdate(region):
    from yiwang.deliberation.models import ProgressUpdate

    return ProgressUpdate.objects.create(project=project(region), at=timezone.now(), progress=10, note="开工")


def evaluation(region):
    from tests import factories
    from yiwang.deliberation.models import Evaluation

    return Evaluation.objects.create(topic=topic(region, state="done"), person=factories.person(region), score=5, at=timezone.now())
