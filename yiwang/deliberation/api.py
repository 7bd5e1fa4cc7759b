"""The five steps over JSON: topics and meetings in the caller's scope, the step actions, and a
resident's own topics (`/mine`) and evaluation. Errors: 422 names the field, 403 outside one's
rights, 404 outside one's scope, 409 for a move the transitions table does not allow."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Count, Day, Id, Moment, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action, is_resident

from . import selectors, services
from .models import AgendaItem, Meeting, Project, Topic

router = Router(tags=["deliberation"])


class TopicOut(Schema):
    id: int
    title: str
    state: str
    state_label: str
    grid_code: str
    grid_name: str
    person_id: int
    raised_at: datetime
    decided_at: datetime | None
    done_at: datetime | None
    evaluation_count: int
    evaluation_average: float | None

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()

    @staticmethod
    def resolve_grid_code(obj):
        return obj.region.code

    @staticmethod
    def resolve_grid_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_evaluation_count(obj):
        return getattr(obj, "evaluation_count", None) or 0

    @staticmethod
    def resolve_evaluation_average(obj):
        value = getattr(obj, "evaluation_average", None)
        return round(value, 2) if value is not None else None


class TopicEventOut(Schema):
    action: str
    from_state: str
    to_state: str
    at: datetime
    note: str


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date | None
    done_at: datetime | None


class ProjectOut(Schema):
    id: int
    title: str
    owner_unit: str
    progress: int
    due_on: date | None
    milestones: list[MilestoneOut]

    @staticmethod
    def resolve_milestones(obj):
        return list(obj.milestones.all())


class TopicDetailOut(TopicOut):
    description: str
    location: str
    state_times: dict[str, datetime | None]
    grid_support: int | None
    grid_oppose: int | None
    grid_summary: str
    grid_outcome: str
    decision_text: str
    result_summary: str
    closing_reason: str
    merged_into_id: int | None
    case_numbers: list[str]
    project: ProjectOut | None
    events: list[TopicEventOut]

    @staticmethod
    def resolve_state_times(obj):
        from .models import STATE_TIME_FIELD

        return {state: getattr(obj, field) for state, field in STATE_TIME_FIELD.items()}

    @staticmethod
    def resolve_case_numbers(obj):
        return list(obj.case_links.order_by("id").values_list("case__number", flat=True))

    @staticmethod
    def resolve_project(obj):
        return Project.objects.filter(topic=obj).first()

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.all())


class AgendaOut(Schema):
    id: int
    topic_id: int
    topic_title: str
    position: int
    decision: str
    decision_text: str
    decided_at: datetime | None

    @staticmethod
    def resolve_topic_title(obj):
        return obj.topic.title


class AttendeeOut(Schema):
    id: int
    kind: str
    name: str
    unit: str
    person_id: int | None
    user_id: int | None


class MeetingOut(Schema):
    id: int
    title: str
    region_code: RegionCode
    held_at: datetime
    place: str
    has_minutes: bool

    @staticmethod
    def resolve_has_minutes(obj):
        return bool(obj.minutes)


class MeetingDetailOut(MeetingOut):
    minutes: str
    agenda: list[AgendaOut]
    attendees: list[AttendeeOut]

    @staticmethod
    def resolve_agenda(obj):
        return list(obj.agenda.select_related("topic"))

    @staticmethod
    def resolve_attendees(obj):
        return list(obj.attendees.all())


class EvaluationOut(Schema):
    id: int
    topic_id: int
    person_id: int
    score: int
    comment: str
    at: datetime


class RaiseIn(Schema):
    title: str
    description: str
    location: str = ""
    person_id: Id | None = None


class NoteIn(Schema):
    note: str = ""


class GridIn(Schema):
    held_on: Day | None = None
    support: Count | None = None
    oppose: Count | None = None
    summary: str = ""
    outcome: str = ""
    answer: str = ""


class ReasonIn(Schema):
    reason: str = ""


class MergeIn(Schema):
    into_id: Id
    reason: str = ""


class CaseRowIn(Schema):
    matter_id: Id
    description: str
    urgency: str = "normal"


class CasesIn(Schema):
    cases: list[CaseRowIn]


class MilestoneIn(Schema):
    title: str
    due_on: Day | None = None


class ProjectIn(Schema):
    title: str = ""
    owner_unit: str = ""
    due_on: Day | None = None
    milestones: list[MilestoneIn] = []


class ProgressIn(Schema):
    progress: Count
    note: str = ""
    milestones_done: list[Id] = []


class TopicResultIn(Schema):
    result: str = ""


class EvaluateIn(Schema):
    score: Count
    comment: str = ""
    person_id: Id | None = None


class MeetingIn(Schema):
    region_code: str
    title: str = ""
    held_at: Moment | None = None
    place: str = ""
    topic_ids: list[Id] = []


class AttendeeIn(Schema):
    kind: str
    name: str = ""
    unit: str = ""
    person_id: Id | None = None


class MinutesIn(Schema):
    minutes: str = ""


class DecisionIn(Schema):
    agenda_item_id: Id
    decision: str
    text: str = ""


def _topic_out(topic: Topic) -> Topic:
    """The topic again, with the evaluation figures the schema shows."""
    return selectors.with_evaluations(Topic.objects.filter(pk=topic.pk).select_related("region")).get()


def _person(request, person_id: int | None):
    if person_id is None:
        return None
    from yiwang.registry.models import Person

    return get_scoped(request, Person, Action.CHANGE, pk=person_id)


# Topics ------------------------------------------------------------------------------------------

@router.get("/topics", response=list[TopicOut])
@paginate(Page)
def list_topics(request, state: str | None = None, region: str | None = None):
    return under_region(selectors.staff_topics(acting_user(request), state=state or None), region).order_by("-raised_at", "-id")


@router.get("/topics/{topic_id}", response=TopicDetailOut)
def get_topic(request, topic_id: int):
    return _topic_out(get_scoped(request, Topic, pk=topic_id))


@router.get("/mine", response=list[TopicOut])
@paginate(Page)
def my_topics(request):
    """A resident's own topics (empty for anyone without a registry row)."""
    user = acting_user(request)
    person = getattr(user, "person", None)
    return selectors.my_topics(person).order_by("-raised_at", "-id") if person is not None else Topic.objects.none()


@router.post("/topics", response={201: TopicDetailOut})
def raise_topic(request, payload: RaiseIn):
    user = acting_user(request)
    person = None if is_resident(user) else _person(request, payload.person_id)
    topic = services.raise_topic(acting_user=user, title=payload.title, description=payload.description, location=payload.location,
                                 person=person)
    return Status(201, _topic_out(topic))


@router.post("/topics/{topic_id}/accept", response=TopicDetailOut)
def accept(request, topic_id: int, payload: NoteIn):
    return _topic_out(services.accept_topic(get_scoped(request, Topic, pk=topic_id), acting_user=acting_user(request), note=payload.note))


@router.post("/topics/{topic_id}/grid-discussion", response=TopicDetailOut)
def grid_discussion(request, topic_id: int, payload: GridIn):
    topic = get_scoped(request, Topic, pk=topic_id)
    return _topic_out(services.record_grid_discussion(topic, acting_user=acting_user(request), held_on=payload.held_on, support=payload.support,
                                                      oppose=payload.oppose, summary=payload.summary, outcome=payload.outcome,
                                                      answer=payload.answer))


@router.post("/topics/{topic_id}/reject", response=TopicDetailOut)
def reject(request, topic_id: int, payload: ReasonIn):
    return _topic_out(services.reject_topic(get_scoped(request, Topic, pk=topic_id), acting_user=acting_user(request), reason=payload.reason))


@router.post("/topics/{topic_id}/merge", response=TopicDetailOut)
def merge(request, topic_id: int, payload: MergeIn):
    topic = get_scoped(request, Topic, pk=topic_id)
    into = get_scoped(request, Topic, pk=payload.into_id)
    return _topic_out(services.merge_topic(topic, acting_user=acting_user(request), into=into, reason=payload.reason))


@router.post("/topics/{topic_id}/cases", response=TopicDetailOut)
def open_cases(request, topic_id: int, payload: CasesIn):
    from yiwang.matters.models import MatterType

    topic = get_scoped(request, Topic, pk=topic_id)
    matters = MatterType.objects.in_bulk([row.matter_id for row in payload.cases])
    rows = [services.CaseInput(matter=matters.get(row.matter_id), description=row.description, urgency=row.urgency) for row in payload.cases]
    services.open_cases(topic, acting_user=acting_user(request), cases=rows)
    return _topic_out(topic)


@router.post("/topics/{topic_id}/project", response=TopicDetailOut)
def start_project(request, topic_id: int, payload: ProjectIn):
    topic = get_scoped(request, Topic, pk=topic_id)
    services.start_project(topic, acting_user=acting_user(request), title=payload.title, owner_unit=payload.owner_unit, due_on=payload.due_on,
                           milestones=[(m.title, m.due_on) for m in payload.milestones])
    return _topic_out(topic)


@router.post("/topics/{topic_id}/progress", response=TopicDetailOut)
def record_progress(request, topic_id: int, payload: ProgressIn):
    topic = get_scoped(request, Topic, pk=topic_id)
    project = Project.objects.filter(topic=topic).first()
    if project is None:
        raise Http404(gettext("该议题没有立项"))
    services.record_progress(project, acting_user=acting_user(request), progress=payload.progress, note=payload.note,
                             milestones_done=payload.milestones_done)
    return _topic_out(topic)


@router.post("/topics/{topic_id}/complete", response=TopicDetailOut)
def complete(request, topic_id: int, payload: TopicResultIn):
    return _topic_out(services.complete_topic(get_scoped(request, Topic, pk=topic_id), acting_user=acting_user(request), result=payload.result))


@router.post("/topics/{topic_id}/close-evaluation", response=TopicDetailOut)
def close_evaluation(request, topic_id: int):
    return _topic_out(services.close_evaluation(get_scoped(request, Topic, pk=topic_id), acting_user=acting_user(request)))


@router.post("/topics/{topic_id}/evaluations", response={201: EvaluationOut})
def evaluate(request, topic_id: int, payload: EvaluateIn):
    """A resident evaluates a done topic of their community; staff record one for a named resident."""
    user = acting_user(request)
    if is_resident(user):
        topic = get_object_or_404(Topic.objects.select_related("region"), pk=topic_id)
        if user.person is not None and not selectors.visible_to_resident(user.person, topic):
            raise Http404(gettext("没有这个议题"))
        person = None
    else:
        topic = get_scoped(request, Topic, pk=topic_id)
        person = _person(request, payload.person_id)
    return Status(201, services.evaluate(topic, acting_user=user, score=payload.score, comment=payload.comment, person=person))


# Meetings ----------------------------------------------------------------------------------------

@router.get("/meetings", response=list[MeetingOut])
@paginate(Page)
def list_meetings(request, region: str | None = None):
    return under_region(scoped(request, Meeting).select_related("region"), region).order_by("-held_at", "-id")


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut)
def get_meeting(request, meeting_id: int):
    return get_scoped(request, Meeting, pk=meeting_id)


@router.post("/meetings", response={201: MeetingDetailOut})
def create_meeting(request, payload: MeetingIn):
    from yiwang.regions.models import Region

    region = get_scoped(request, Region, code=payload.region_code)
    topics = [get_scoped(request, Topic, pk=pk) for pk in payload.topic_ids]
    meeting = services.create_meeting(acting_user=acting_user(request), region=region, title=payload.title, held_at=payload.held_at,
                                      place=payload.place, topics=topics)
    return Status(201, meeting)


@router.post("/meetings/{meeting_id}/attendees", response={201: AttendeeOut})
def add_attendee(request, meeting_id: int, payload: AttendeeIn):
    meeting = get_scoped(request, Meeting, pk=meeting_id)
    attendee = services.add_attendee(meeting, acting_user=acting_user(request), kind=payload.kind, name=payload.name, unit=payload.unit,
                                     person=_person(request, payload.person_id))
    return Status(201, attendee)


@router.post("/meetings/{meeting_id}/agenda", response={201: AgendaOut})
def add_to_agenda(request, meeting_id: int, topic_id: int):
    meeting = get_scoped(request, Meeting, pk=meeting_id)
    return Status(201, services.add_to_agenda(meeting, acting_user=acting_user(request), topic=get_scoped(request, Topic, pk=topic_id)))


@router.post("/meetings/{meeting_id}/minutes", response=MeetingDetailOut)
def record_minutes(request, meeting_id: int, payload: MinutesIn):
    return services.record_minutes(get_scoped(request, Meeting, pk=meeting_id), acting_user=acting_user(request), minutes=payload.minutes)


@router.post("/meetings/{meeting_id}/decisions", response=AgendaOut)
def decide(request, meeting_id: int, payload: DecisionIn):
    meeting = get_scoped(request, Meeting, pk=meeting_id)
    item = get_object_or_404(AgendaItem.objects.select_related("meeting", "topic"), meeting=meeting, pk=payload.agenda_item_id)
    return services.decide(item, acting_user=acting_user(request), decision=payload.decision, text=payload.text)
