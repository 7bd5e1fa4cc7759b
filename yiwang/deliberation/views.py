"""Pages of the five steps.

Resident (`public`, phone first): raise a topic in one's own grid, follow one's topics, see the
decided topics of one's community, open a topic and evaluate it once it is done. A visitor who is
not logged in is asked to log in; a resident without a registry row is told to register first.

Staff (login, scoped): topics by state; a topic's page with the five steps and the form of the
step it is at; consultation meetings with agenda, attendees, minutes and decisions.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.utils.translation import gettext

from yiwang.core.pages import run_action, staff_required
from yiwang.core.params import date_param, int_param
from yiwang.core.statemachine import IllegalTransition
from yiwang.core.scope import Action, get_in_scope, is_resident
from yiwang.regions.models import Level, Region
from yiwang.core.errors import by_field, describe

from . import selectors, services
from .models import AgendaItem, AttendeeKind, Decision, Evaluation, GridOutcome, Meeting, Project, Topic, TopicState

FIELD_LABELS = {
    "title": "议题/名称", "description": "具体情况", "location": "地点", "person": "居民", "held_on": "日期", "support": "赞成",
    "oppose": "反对", "summary": "意见", "outcome": "结果", "answer": "答复", "reason": "理由", "into": "并入议题", "region": "召开单位",
    "held_at": "召开时间", "place": "地点", "topics": "议题", "topic": "议题", "kind": "身份", "name": "姓名", "unit": "单位",
    "minutes": "纪要", "decision": "决定", "decision_text": "决定内容", "cases": "事件", "owner_unit": "责任单位", "progress": "进度",
    "note": "进展", "result": "办理结果", "score": "评分", "comment": "意见", "milestones_done": "节点",
}


def _label(key: str) -> str:
    base = key.split(".")[0].split("[")[0]
    return FIELD_LABELS.get(base, key)


def _datetime(value) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


# Resident ----------------------------------------------------------------------------------------

def _resident_person(request):
    """(person, message): the logged-in resident's registry row, or why there is none."""
    user = request.user
    if not user.is_authenticated:
        return None, "login"
    if not is_resident(user):
        return None, "staff"
    if user.person is None:
        return None, "no_person"
    return user.person, ""


def public(request):
    """/deliberation/public/: raise a topic (POST), my topics, my community's decided topics."""
    person, why = _resident_person(request)
    context = {"person": person, "why": why, "values": {}, "errors": {}}
    status = 200
    if person is not None and request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("title", "description", "location")}
        try:
            topic = services.raise_topic(acting_user=request.user, **values)
        except ValidationError as exc:
            context.update(values=values, errors=by_field(exc))
            status = 400
        else:
            messages.success(request, f"已提交议题“{topic.title}”，网格员会组织网格议事")
            return redirect("deliberation:public-topic", pk=topic.pk)
    if person is not None:
        evaluated = set(Evaluation.objects.filter(person=person).values_list("topic_id", flat=True))
        context.update(
            grid=services.grid_of(person.region),
            mine=selectors.my_topics(person).order_by("-raised_at")[:50],
            community=selectors.community_topics(person).order_by("-decided_at")[:50],
            evaluated=evaluated,
        )
    return render(request, "deliberation/public.html", context, status=status)


def _public_topic(request, pk: int) -> tuple[Topic, object]:
    person, _why = _resident_person(request)
    if person is None:
        raise Http404(gettext("没有这个议题"))
    topic = Topic.objects.select_related("region", "person").filter(pk=pk).first()
    if topic is None or not selectors.visible_to_resident(person, topic):
        raise Http404(gettext("没有这个议题"))
    return topic, person


def public_topic(request, pk: int):
    """A topic as its raiser and the community see it: the five steps, the decision, the work, the score."""
    person, why = _resident_person(request)
    if person is None:
        return render(request, "deliberation/public.html", {"person": None, "why": why, "values": {}, "errors": {}})
    topic, person = _public_topic(request, pk)
    mine = topic.evaluations.filter(person=person).first()
    return render(request, "deliberation/public_topic.html", {
        "topic": topic, "steps": selectors.steps(topic), "summary": selectors.evaluation_summary(topic), "mine": mine,
        "can_evaluate": topic.state == TopicState.DONE and mine is None and services.may_evaluate(person, topic),
        "project": Project.objects.filter(topic=topic).prefetch_related("milestones").first(),
        "cases": [link.case for link in topic.case_links.select_related("case")],
    })


@require_POST
def public_evaluate(request, pk: int):
    topic, _person = _public_topic(request, pk)
    return run_action(request, lambda: services.evaluate(topic, acting_user=request.user, score=int_param(request.POST.get("score")),
                                                         comment=request.POST.get("comment", "")),
                      success="感谢您的评议", redirect_to=("deliberation:public-topic", topic.pk))


# Staff: topics -----------------------------------------------------------------------------------

@staff_required
def index(request):
    """Topics in scope by state, with the count of each state."""
    state = request.GET.get("state", "")
    if state and state not in TopicState.values:
        state = ""
    counts = selectors.state_counts(request.user)
    tabs = [{"state": value, "label": label, "count": counts.get(value, 0)} for value, label in TopicState.choices]
    topics = selectors.staff_topics(request.user, state=state or None).order_by("-raised_at")[:200]
    return render(request, "deliberation/index.html", {
        "tabs": tabs, "state": state, "topics": topics, "total": sum(counts.values()),
        "meetings": Meeting.objects.restrict(request.user).select_related("region")[:5],
    })


@staff_required
def topic_new(request):
    """Staff raise a topic for a named resident (found by name within their scope)."""
    q = request.GET.get("q", "").strip()
    people = []
    from yiwang.registry.models import Person

    values, errors = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("title", "description", "location", "person")}
        person = Person.objects.restrict(request.user, Action.CHANGE).filter(pk=int_param(values["person"])).first()
        try:
            topic = services.raise_topic(acting_user=request.user, person=person, title=values["title"],
                                         description=values["description"], location=values["location"])
        except ValidationError as exc:
            errors = by_field(exc)
        else:
            messages.success(request, f"已代 {topic.person.name} 提出议题")
            return redirect("deliberation:topic", pk=topic.pk)
        q = q or request.POST.get("q", "")
    if q:
        people = Person.objects.restrict(request.user, Action.CHANGE).filter(name__contains=q).select_related("region")[:20]
    return render(request, "deliberation/topic_new.html", {"q": q, "people": people, "values": values, "errors": errors},
                  status=400 if errors else 200)


@staff_required
def topic_detail(request, pk: int):
    topic = get_in_scope(request.user, Topic, pk=pk)
    from yiwang.matters.models import MatterType

    project = Project.objects.filter(topic=topic).prefetch_related("milestones", "updates").first()
    may = services.may_act(request.user, topic)
    community = selectors.community_path(topic.region)
    return render(request, "deliberation/topic.html", {
        "topic": topic, "steps": selectors.steps(topic), "events": topic.events.select_related("actor"),
        "may_act": may, "actions": services.lifecycle.actions_from(topic.state) if may else [],
        "agenda": topic.agenda_items.select_related("meeting").order_by("-meeting__held_at"),
        "project": project, "cases": [link.case for link in topic.case_links.select_related("case", "case__matter")],
        "evaluations": topic.evaluations.select_related("person").order_by("-at")[:100],
        "summary": selectors.evaluation_summary(topic),
        "outcomes": GridOutcome.choices, "today": timezone.localdate(),
        "matters": MatterType.objects.filter(active=True).order_by("kind", "code") if may and topic.state in services.WORK_STATES else [],
        "merge_targets": Topic.objects.restrict(request.user).filter(region__path__startswith=community).exclude(pk=topic.pk)
        .exclude(state__in=[TopicState.REJECTED, TopicState.MERGED]).order_by("-raised_at")[:50] if may else [],
        "meetings": Meeting.objects.restrict(request.user, Action.CHANGE).filter(held_at__gte=timezone.now() - timedelta(days=30))
        .filter(Q(region__path=community) | Q(region=topic.region))[:20] if may and topic.state == TopicState.CONSULTATION else [],
    })


def _lines(text: str) -> list[tuple[str, date | None]]:
    """Milestones typed one per line as "名称" or "名称 2026-06-30"."""
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        name, _, tail = line.rpartition(" ")
        when = date_param(tail) if name else None
        rows.append((name.strip(), when) if when else (line, None))
    return rows


@staff_required
@require_POST
def topic_action(request, pk: int, action: str):
    """One POST per step form of the topic page."""
    topic = get_in_scope(request.user, Topic, pk=pk)
    user, post = request.user, request.POST
    from yiwang.matters.models import MatterType

    try:
        if action == "accept":
            services.accept_topic(topic, acting_user=user, note=post.get("note", ""))
        elif action == "grid":
            services.record_grid_discussion(topic, acting_user=user, held_on=date_param(post.get("held_on", "")), support=int_param(post.get("support")),
                                            oppose=int_param(post.get("oppose")), summary=post.get("summary", ""), outcome=post.get("outcome", ""),
                                            answer=post.get("answer", ""))
        elif action == "reject":
            services.reject_topic(topic, acting_user=user, reason=post.get("reason", ""))
        elif action == "merge":
            into = Topic.objects.restrict(user).filter(pk=int_param(post.get("into"))).first()
            services.merge_topic(topic, acting_user=user, into=into, reason=post.get("reason", ""))
        elif action == "agenda":
            meeting = get_in_scope(user, Meeting, Action.CHANGE, pk=int_param(post.get("meeting")) or 0)
            services.add_to_agenda(meeting, acting_user=user, topic=topic)
        elif action == "cases":
            matter = MatterType.objects.filter(pk=int_param(post.get("matter")), active=True).first()
            services.open_cases(topic, acting_user=user, cases=[services.CaseInput(matter=matter, description=post.get("case_description", ""),
                                                                                   urgency=post.get("urgency") or "normal")])
        elif action == "project":
            services.start_project(topic, acting_user=user, title=post.get("title", ""), owner_unit=post.get("owner_unit", ""),
                                   due_on=date_param(post.get("due_on", "")), milestones=_lines(post.get("milestones", "")))
        elif action == "progress":
            project = Project.objects.filter(topic=topic).first()
            if project is None:
                raise Http404(gettext("该议题没有立项"))
            services.record_progress(project, acting_user=user, progress=int_param(post.get("progress")), note=post.get("note", ""),
                                     milestones_done=[int_param(v) for v in post.getlist("milestones_done") if int_param(v)])
        elif action == "complete":
            services.complete_topic(topic, acting_user=user, result=post.get("result", ""))
        elif action == "close_evaluation":
            services.close_evaluation(topic, acting_user=user)
        else:
            raise Http404(gettext("没有这项操作"))
    except ValidationError as exc:
        messages.error(request, describe(exc, _label))
    except IllegalTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已保存")
    return redirect("deliberation:topic", pk=topic.pk)


# Staff: meetings ---------------------------------------------------------------------------------

def _meeting_regions(user):
    return Region.objects.restrict(user, Action.CHANGE).filter(level__in=[Level.COMMUNITY, Level.GRID]).order_by("path")[:200]


@staff_required
def meetings(request):
    """Meetings in scope; POST creates one with the referred topics ticked for its agenda."""
    waiting = Topic.objects.restrict(request.user, Action.CHANGE).filter(state=TopicState.CONSULTATION).exclude(
        agenda_items__decision=Decision.PENDING).select_related("region")[:100]
    values, errors = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("region", "title", "held_at", "place")}
        region = Region.objects.restrict(request.user, Action.CHANGE).filter(pk=int_param(values["region"])).first()
        chosen = list(Topic.objects.restrict(request.user, Action.CHANGE).filter(pk__in=[int_param(v) for v in request.POST.getlist("topics")]))
        try:
            meeting = services.create_meeting(acting_user=request.user, region=region, title=values["title"],
                                              held_at=_datetime(values["held_at"]), place=values["place"], topics=chosen)
        except ValidationError as exc:
            errors = by_field(exc)
        else:
            messages.success(request, "已创建协商议事会")
            return redirect("deliberation:meeting", pk=meeting.pk)
    rows = Meeting.objects.restrict(request.user).select_related("region").order_by("-held_at")[:100]
    return render(request, "deliberation/meetings.html", {
        "meetings": rows, "regions": _meeting_regions(request.user), "waiting": waiting, "values": values, "errors": errors,
    }, status=400 if errors else 200)


@staff_required
def meeting_detail(request, pk: int):
    # A community's meeting is also the record of the grid topics it decided: whoever sees one of
    # its topics may read it.
    meeting = (Meeting.objects.restrict(request.user).filter(pk=pk).first()
               or Meeting.objects.filter(pk=pk, agenda__topic__in=Topic.objects.restrict(request.user)).distinct().first())
    if meeting is None:
        raise Http404
    may = Meeting.objects.restrict(request.user, Action.CHANGE).filter(pk=meeting.pk).exists()
    return render(request, "deliberation/meeting.html", {
        "meeting": meeting, "may_act": may, "agenda": meeting.agenda.select_related("topic", "topic__region", "decided_by"),
        "attendees": meeting.attendees.all(), "kinds": AttendeeKind.choices,
        "decisions": [(v, label) for v, label in Decision.choices if v != Decision.PENDING],
        "waiting": Topic.objects.restrict(request.user, Action.CHANGE).filter(state=TopicState.CONSULTATION, region__path__startswith=meeting.region.path)
        .exclude(agenda_items__decision=Decision.PENDING)[:50] if may else [],
    })


@staff_required
@require_POST
def meeting_action(request, pk: int, action: str):
    meeting = get_in_scope(request.user, Meeting, pk=pk)
    user, post = request.user, request.POST
    try:
        if action == "attendee":
            from yiwang.registry.models import Person

            person = Person.objects.restrict(user).filter(pk=int_param(post.get("person"))).first() if post.get("person") else None
            services.add_attendee(meeting, acting_user=user, kind=post.get("kind", ""), name=post.get("name", ""), unit=post.get("unit", ""),
                                  person=person)
        elif action == "minutes":
            services.record_minutes(meeting, acting_user=user, minutes=post.get("minutes", ""))
        elif action == "decide":
            item = AgendaItem.objects.filter(meeting=meeting, pk=int_param(post.get("item"))).select_related("meeting", "topic").first()
            if item is None:
                raise Http404(gettext("没有这个议程"))
            services.decide(item, acting_user=user, decision=post.get("decision", ""), text=post.get("decision_text", ""))
        elif action == "agenda":
            topic = Topic.objects.restrict(user, Action.CHANGE).filter(pk=int_param(post.get("topic"))).first()
            services.add_to_agenda(meeting, acting_user=user, topic=topic)
        else:
            raise Http404(gettext("没有这项操作"))
    except ValidationError as exc:
        messages.error(request, describe(exc, _label))
    except IllegalTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已保存")
    return redirect("deliberation:meeting", pk=meeting.pk)
