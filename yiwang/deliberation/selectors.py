"""Reads: topics for staff (scoped) and for a resident (their own, and their community's decided ones),
state counts, and each topic's evaluation average and count."""

from __future__ import annotations

from django.db.models import Avg, Count, QuerySet
from django.utils.translation import gettext_noop

from yiwang.core.scope import Action
from yiwang.regions.models import Level, Region, ancestor_paths

from .models import Topic, TopicState

# What residents of a community see of its topics: those settled by the grid or a meeting onwards.
PUBLIC_STATES = (TopicState.DECIDED, TopicState.IN_PROGRESS, TopicState.DONE, TopicState.EVALUATED)

# The five steps as the pages show them (labels translated there), with the states that mean a step is reached.
STEPS = [
    (gettext_noop("居民提事"), "raised"),
    (gettext_noop("网格议事"), "grid_discussion"),
    (gettext_noop("协商定事"), "decided"),
    (gettext_noop("联动办事"), "in_progress"),
    (gettext_noop("群众评事"), "done"),
]
STEP_ORDER = [TopicState.RAISED, TopicState.GRID_DISCUSSION, TopicState.CONSULTATION, TopicState.DECIDED, TopicState.IN_PROGRESS,
              TopicState.DONE, TopicState.EVALUATED]


def community_path(region: Region) -> str:
    """The path of the community above (or at) `region`; the region's own path if none is found."""
    found = Region.objects.filter(path__in=ancestor_paths(region.path), level=Level.COMMUNITY).values_list("path", flat=True).first()
    return found or region.path


def with_evaluations(topics: QuerySet) -> QuerySet:
    return topics.annotate(evaluation_count=Count("evaluations", distinct=True), evaluation_average=Avg("evaluations__score"))


def staff_topics(user, *, state: str | None = None) -> QuerySet:
    topics = Topic.objects.restrict(user, Action.VIEW).select_related("region", "person")
    if state:
        topics = topics.filter(state=state)
    return with_evaluations(topics)


def state_counts(user) -> dict[str, int]:
    rows = Topic.objects.restrict(user, Action.VIEW).order_by().values_list("state").annotate(n=Count("id"))
    return dict(rows)


def evaluation_summary(topic: Topic) -> dict:
    row = topic.evaluations.aggregate(count=Count("id"), average=Avg("score"))
    return {"count": row["count"], "average": round(row["average"], 2) if row["average"] is not None else None}


def my_topics(person) -> QuerySet:
    return with_evaluations(Topic.objects.filter(person=person).select_related("region"))


def community_topics(person) -> QuerySet:
    """Decided topics (and later) of the resident's community."""
    prefix = community_path(person.region)
    return with_evaluations(Topic.objects.filter(region__path__startswith=prefix, state__in=PUBLIC_STATES).select_related("region"))


def visible_to_resident(person, topic: Topic) -> bool:
    return topic.person_id == person.pk or (topic.state in PUBLIC_STATES and topic.region.path.startswith(community_path(person.region)))


def steps(topic: Topic) -> list[dict]:
    """The five steps with whether each is reached and when (for the topic pages)."""
    order = STEP_ORDER.index(topic.state) if topic.state in STEP_ORDER else -1
    rows = []
    for label, state in STEPS:
        reached_at = topic.entered_at(state)
        rows.append({"label": label, "state": state, "at": reached_at,
                     "reached": reached_at is not None, "current": order >= 0 and STEP_ORDER[order] in _step_states(state)})
    return rows


def _step_states(step_state: str) -> set[str]:
    return {
        "raised": {TopicState.RAISED},
        "grid_discussion": {TopicState.GRID_DISCUSSION},
        "decided": {TopicState.CONSULTATION, TopicState.DECIDED},
        "in_progress": {TopicState.IN_PROGRESS},
        "done": {TopicState.DONE, TopicState.EVALUATED},
    }[step_state]
