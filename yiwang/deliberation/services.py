"""Writes of the five steps. Each is one transaction; the topic row is locked before it is read
for a move, every move goes through the table in `lifecycle.py`, leaves a TopicEvent and an audit
entry, and bad input raises ValidationError naming the field with nothing written.

Who may write: a resident raises topics for themself and evaluates done topics of their community;
staff who may change data over the topic's grid (grid worker, community, street, district) act on
it, and may raise or evaluate for a named resident. Meetings belong to a community or a grid and are
run by staff who may change data there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.scope import Action, is_resident, require, role_allows, scope_path
from yiwang.regions.models import Level, Region

from . import lifecycle
from .selectors import community_path
from .models import (
    AgendaItem, Attendee, AttendeeKind, Decision, Evaluation, GridOutcome, Meeting, Milestone, Project,
    ProgressUpdate, Topic, TopicCase, TopicEvent, TopicState,
)

# Where a case opened for a topic says it came from (cases keep external_source + external_id unique).
CASE_SOURCE = "deliberation"
NO_PERSON = "请先到社区登记本人信息"
CLOCK_SKEW = timedelta(minutes=5)
MAX_TITLE = 100


# Helpers -----------------------------------------------------------------------------------------

def grid_of(region: Region | None) -> Region | None:
    """The grid a micro-grid or grid belongs to (None above grid level)."""
    if region is None:
        return None
    if region.level == Level.GRID:
        return region
    if region.level == Level.MICRO_GRID and region.parent_id:
        return region.parent
    return None


def _require_login(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(gettext("请先登录"))


def _require_staff(user, region_path: str) -> None:
    _require_login(user)
    if is_resident(user):
        raise PermissionDenied(gettext("居民不能执行该操作"))
    require(user, Action.CHANGE, region_path)


def _text(value, field: str, message: str, errors: dict, limit: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = message
    elif limit and len(value) > limit:
        errors[field] = f"不能超过 {limit} 个字"
    return value


def _locked(topic: Topic) -> Topic:
    return Topic.objects.select_for_update(of=("self",)).select_related("region", "person").get(pk=topic.pk)


def _move(topic: Topic, action: str, *, acting_user, now: datetime, note: str = "", fields: dict | None = None) -> Topic:
    """Apply one move of the table to a locked topic: state, its time, the event, the audit entry."""
    before = topic.state
    move = lifecycle.MACHINE.apply(topic, action, now)
    after = topic.state
    for name, value in (fields or {}).items():
        setattr(topic, name, value)
    topic.save(update_fields=["state", move.stamp, *(fields or {})])
    TopicEvent.objects.create(topic=topic, action=action, from_state=before, to_state=after, at=now,
                              actor=audit.account(acting_user), note=note[:1000])
    audit.record(actor=acting_user, action=f"deliberation.{action}", target=topic, detail={"from": before, "to": after})
    return topic


# 居民提事 -----------------------------------------------------------------------------------------

def raise_topic(*, acting_user, title: str, description: str, person=None, location: str = "", now: datetime | None = None) -> Topic:
    """A resident raises a topic in their grid; staff may raise one for a named resident."""
    _require_login(acting_user)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if is_resident(acting_user):
        own = acting_user.person
        if own is None:
            raise ValidationError({"person": NO_PERSON})
        if person is not None and person.pk != own.pk:
            raise PermissionDenied(gettext("居民只能以本人名义提事"))
        person = own
    elif person is None:
        errors["person"] = "请选择提事居民"
    else:
        require(acting_user, Action.CHANGE, person.region.path)
    title = _text(title, "title", "请填写议题", errors, MAX_TITLE)
    description = _text(description, "description", "请说明具体情况", errors)
    location = (location or "").strip()
    if len(location) > 200:
        errors["location"] = "不能超过 200 个字"
    grid = grid_of(person.region) if person is not None else None
    if person is not None and grid is None and "person" not in errors:
        errors["person"] = f"{person.name} 的登记信息未落到网格，请先到社区完善登记"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = Topic.objects.create(region=grid, person=person, raised_by=audit.account(acting_user), title=title,
                                     description=description, location=location, raised_at=now)
        TopicEvent.objects.create(topic=topic, action="raise", from_state="", to_state=TopicState.RAISED, at=now,
                                  actor=audit.account(acting_user))
        audit.record(actor=acting_user, action="deliberation.raise", target=topic, detail={"grid": grid.code, "person": person.pk})
    return topic


# 网格议事 -----------------------------------------------------------------------------------------

def accept_topic(topic: Topic, *, acting_user, note: str = "", now: datetime | None = None) -> Topic:
    """The grid takes the topic up for its grid meeting."""
    _require_staff(acting_user, topic.region.path)
    with transaction.atomic():
        topic = _locked(topic)
        return _move(topic, "accept", acting_user=acting_user, now=now or timezone.now(), note=(note or "").strip())


def record_grid_discussion(topic: Topic, *, acting_user, held_on: date | None, support, oppose, summary: str, outcome: str,
                           answer: str = "", now: datetime | None = None) -> Topic:
    """The grid meeting's view; the topic goes to a consultation meeting or is answered by the grid."""
    _require_staff(acting_user, topic.region.path)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = "请填写网格议事日期"
    elif held_on > timezone.localdate(now):
        errors["held_on"] = "网格议事日期不能晚于今天"
    for field, value in (("support", support), ("oppose", oppose)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 10000:
            errors[field] = "请填写 0 到 10000 之间的人数"
    summary = _text(summary, "summary", "请填写网格议事意见", errors)
    if outcome not in GridOutcome.values:
        errors["outcome"] = "请选择提交协商议事会或网格直接答复"
    answer = (answer or "").strip()
    if outcome == GridOutcome.ANSWER and not answer:
        errors["answer"] = "网格直接答复须填写答复内容"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(topic)
        fields = {"grid_held_on": held_on, "grid_support": support, "grid_oppose": oppose, "grid_summary": summary,
                  "grid_outcome": outcome, "grid_recorded_by": audit.account(acting_user)}
        if outcome == GridOutcome.ANSWER:
            fields["decision_text"] = answer
            return _move(topic, "answer", acting_user=acting_user, now=now, note=answer, fields=fields)
        return _move(topic, "refer", acting_user=acting_user, now=now, note=summary, fields=fields)


def _refuse_if_on_agenda(topic: Topic) -> None:
    pending = AgendaItem.objects.filter(topic=topic, decision=Decision.PENDING).select_related("meeting").first()
    if pending is not None:
        raise ValidationError({"topic": f"议题已列入“{pending.meeting.title}”议程，请在会上作出决定"})


def reject_topic(topic: Topic, *, acting_user, reason: str, now: datetime | None = None) -> Topic:
    _require_staff(acting_user, topic.region.path)
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", "请说明不予采纳的理由", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(topic)
        _refuse_if_on_agenda(topic)
        return _move(topic, "reject", acting_user=acting_user, now=now or timezone.now(), note=reason, fields={"closing_reason": reason})


def merge_topic(topic: Topic, *, acting_user, into: Topic | None, reason: str, now: datetime | None = None) -> Topic:
    """Merge a repeat topic into another of the same community; the other carries on."""
    _require_staff(acting_user, topic.region.path)
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", "请说明合并理由", errors)
    if into is None:
        errors["into"] = "请选择并入的议题"
    elif into.pk == topic.pk:
        errors["into"] = "不能并入议题本身"
    elif into.state in (TopicState.REJECTED, TopicState.MERGED):
        errors["into"] = f"议题“{into.title}”已{into.get_state_display()}，不能并入"
    elif not into.region.path.startswith(community_path(topic.region)):
        errors["into"] = f"议题“{into.title}”不在同一社区"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(topic)
        _refuse_if_on_agenda(topic)
        return _move(topic, "merge", acting_user=acting_user, now=now or timezone.now(), note=f"并入“{into.title}”:{reason}",
                     fields={"closing_reason": reason, "merged_into": into})


# 协商定事 -----------------------------------------------------------------------------------------

def _check_agenda_topic(meeting_region: Region, topic: Topic, exclude_meeting: Meeting | None = None) -> str | None:
    if topic.state != TopicState.CONSULTATION:
        return f"议题“{topic.title}”当前为“{topic.get_state_display()}”，只有待协商的议题可以列入议程"
    if not topic.region.path.startswith(meeting_region.path):
        return f"议题“{topic.title}”不在 {meeting_region.name}"
    pending = AgendaItem.objects.filter(topic=topic, decision=Decision.PENDING)
    if exclude_meeting is not None:
        pending = pending.exclude(meeting=exclude_meeting)
    other = pending.select_related("meeting").first()
    if other is not None:
        return f"议题“{topic.title}”已列入“{other.meeting.title}”议程"
    return None


def create_meeting(*, acting_user, region: Region | None, title: str, held_at: datetime | None, place: str, topics=(),
                   now: datetime | None = None) -> Meeting:
    """A consultation meeting of a community or grid, with the topics on its agenda."""
    _require_login(acting_user)
    errors: dict[str, str] = {}
    if region is None or region.level not in (Level.COMMUNITY, Level.GRID):
        errors["region"] = "协商议事会由社区或网格召开"
    else:
        _require_staff(acting_user, region.path)
    title = _text(title, "title", "请填写会议名称", errors, 100)
    place = _text(place, "place", "请填写会议地点", errors, 100)
    if held_at is None:
        errors["held_at"] = "请填写召开时间"
    elif timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    topics = list(topics or [])
    if region is not None and "region" not in errors:
        problems = [p for p in (_check_agenda_topic(region, t) for t in topics) if p]
        if problems:
            errors["topics"] = "；".join(problems)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Locked, then checked again: a topic rejected or merged since the check above stays off.
        topics = [_locked(topic) for topic in topics]
        problems = [p for p in (_check_agenda_topic(region, t) for t in topics) if p]
        if problems:
            raise ValidationError({"topics": "；".join(problems)})
        meeting = Meeting.objects.create(region=region, title=title, held_at=held_at, place=place, created_by=audit.account(acting_user))
        try:
            with transaction.atomic():
                for position, topic in enumerate(topics, start=1):
                    AgendaItem.objects.create(meeting=meeting, topic=topic, position=position)
        except IntegrityError as exc:
            raise ValidationError({"topics": "有议题刚刚已列入其他会议议程，请刷新后重试"}) from exc
        audit.record(actor=acting_user, action="deliberation.meeting", target=meeting,
                     detail={"region": region.code, "topics": [t.pk for t in topics]})
    return meeting


def add_to_agenda(meeting: Meeting, *, acting_user, topic: Topic | None) -> AgendaItem:
    _require_staff(acting_user, meeting.region.path)
    if topic is None:
        raise ValidationError({"topic": "请选择议题"})
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("region").get(pk=meeting.pk)
        topic = _locked(topic)
        if AgendaItem.objects.filter(meeting=meeting, topic=topic).exists():
            raise ValidationError({"topic": f"议题“{topic.title}”已在本次议程中"})
        problem = _check_agenda_topic(meeting.region, topic)
        if problem:
            raise ValidationError({"topic": problem})
        position = (meeting.agenda.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        try:
            with transaction.atomic():
                item = AgendaItem.objects.create(meeting=meeting, topic=topic, position=position)
        except IntegrityError as exc:
            raise ValidationError({"topic": "该议题刚刚已列入其他会议议程"}) from exc
        audit.record(actor=acting_user, action="deliberation.agenda", target=item, detail={"meeting": meeting.pk, "topic": topic.pk})
    return item


def add_attendee(meeting: Meeting, *, acting_user, kind: str, name: str = "", unit: str = "", person=None, user=None) -> Attendee:
    _require_staff(acting_user, meeting.region.path)
    errors: dict[str, str] = {}
    if kind not in AttendeeKind.values:
        errors["kind"] = "请选择参会身份"
    name = (name or "").strip() or (person.name if person is not None else "") or (
        (user.get_full_name() or user.username) if user is not None else "")
    if not name:
        errors["name"] = "请填写参会人姓名"
    elif len(name) > 50:
        errors["name"] = "不能超过 50 个字"
    unit = (unit or "").strip()
    if len(unit) > 100:
        errors["unit"] = "不能超过 100 个字"
    prefix = scope_path(acting_user)
    if person is not None and (prefix is None or not person.region.path.startswith(prefix)):
        errors["person"] = f"{person.name} 不在您的数据范围内"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        attendee = Attendee.objects.create(meeting=meeting, kind=kind, name=name, unit=unit, person=person, user=user)
        audit.record(actor=acting_user, action="deliberation.attendee", target=attendee, detail={"meeting": meeting.pk, "kind": kind})
    return attendee


def record_minutes(meeting: Meeting, *, acting_user, minutes: str, now: datetime | None = None) -> Meeting:
    _require_staff(acting_user, meeting.region.path)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    minutes = _text(minutes, "minutes", "请填写会议纪要", errors)
    if not errors and meeting.held_at > now + CLOCK_SKEW:
        errors["minutes"] = "会议尚未召开，不能记录纪要"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        meeting.minutes, meeting.minutes_recorded_at = minutes, now
        meeting.save(update_fields=["minutes", "minutes_recorded_at"])
        audit.record(actor=acting_user, action="deliberation.minutes", target=meeting, detail={"length": len(minutes)})
    return meeting


def decide(item: AgendaItem, *, acting_user, decision: str, text: str, now: datetime | None = None) -> AgendaItem:
    """The meeting's decision on one topic of its agenda: agreed → decided, rejected → rejected,
    deferred → the topic waits for a later meeting."""
    meeting = item.meeting
    _require_staff(acting_user, meeting.region.path)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if decision not in (Decision.AGREED, Decision.REJECTED, Decision.DEFERRED):
        errors["decision"] = "请选择同意、不同意或暂缓"
    text = _text(text, "decision_text", "请填写决定内容", errors)
    if meeting.held_at > now + CLOCK_SKEW:
        errors["decision"] = "会议尚未召开，不能作出决定"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(item.topic)
        item = AgendaItem.objects.select_for_update().get(pk=item.pk)
        if item.decision != Decision.PENDING:
            raise ValidationError({"decision": f"该议题已有决定：{item.get_decision_display()}"})
        item.decision, item.decision_text, item.decided_at, item.decided_by = decision, text, now, audit.account(acting_user)
        item.save(update_fields=["decision", "decision_text", "decided_at", "decided_by"])
        if decision == Decision.AGREED:
            _move(topic, "decide", acting_user=acting_user, now=now, note=text, fields={"decision_text": text})
        elif decision == Decision.REJECTED:
            _move(topic, "reject", acting_user=acting_user, now=now, note=text, fields={"closing_reason": text})
        else:
            if topic.state != TopicState.CONSULTATION:
                raise lifecycle.IllegalTopicMove(topic.state, "defer")
            TopicEvent.objects.create(topic=topic, action="defer", from_state=topic.state, to_state=topic.state, at=now,
                                      actor=audit.account(acting_user), note=text[:1000])
            audit.record(actor=acting_user, action="deliberation.defer", target=topic, detail={"meeting": meeting.pk})
    return item


# 联动办事 -----------------------------------------------------------------------------------------

@dataclass
class CaseInput:
    """One case to open for a decided topic, in the topic's grid."""

    matter: object | None  # MatterType
    description: str
    urgency: str = "normal"


WORK_STATES = (TopicState.DECIDED, TopicState.IN_PROGRESS)


def _check_work_state(topic: Topic) -> None:
    if topic.state not in WORK_STATES:
        raise lifecycle.IllegalTopicMove(topic.state, "start_work")


def open_cases(topic: Topic, *, acting_user, cases, now: datetime | None = None) -> list[TopicCase]:
    """Turn a decided topic into cases of the closed loop, all in this transaction: a refused case
    names its row and leaves nothing (no case, no link, no state change)."""
    from yiwang.cases.models import Channel
    from yiwang.cases.services import Report, report_case

    _require_staff(acting_user, topic.region.path)
    now = now or timezone.now()
    rows = [row if isinstance(row, CaseInput) else CaseInput(**row) for row in (cases or [])]
    errors: dict[str, str] = {}
    if not rows:
        errors["cases"] = "请至少填写一件要转办的事件"
    for number, row in enumerate(rows, start=1):
        if row.matter is None:
            errors[f"cases[{number}].matter"] = f"第{number}件：请选择事项"
        if not (row.description or "").strip():
            errors[f"cases[{number}].description"] = f"第{number}件：请描述要办的事"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(topic)
        _check_work_state(topic)
        already = topic.case_links.count()
        made = []
        for number, row in enumerate(rows, start=1):
            report = Report(channel=Channel.DESK, matter=row.matter, description=row.description.strip(), grid=topic.region,
                            reporter_name=f"居民议事：{topic.person.name}"[:50], urgency=row.urgency,
                            external_source=CASE_SOURCE, external_id=f"{topic.pk}-{already + number}")
            try:
                case = report_case(report, acting_user=acting_user, now=now).case
            except ValidationError as exc:
                detail = exc.message_dict if hasattr(exc, "error_dict") else {"matter": exc.messages}
                raise ValidationError({f"cases[{number}].{field}": f"第{number}件无法立案：{'；'.join(messages)}"
                                       for field, messages in detail.items()}) from exc
            made.append(TopicCase.objects.create(topic=topic, case=case, created_at=now, created_by=audit.account(acting_user)))
        if topic.state == TopicState.DECIDED:
            _move(topic, "start_work", acting_user=acting_user, now=now, note=f"转办事件 {len(made)} 件")
        audit.record(actor=acting_user, action="deliberation.cases", target=topic, detail={"cases": [link.case.number for link in made]})
    return made


def start_project(topic: Topic, *, acting_user, title: str, owner_unit: str, owner=None, due_on: date | None = None,
                  milestones=(), now: datetime | None = None) -> Project:
    """Carry out a decided topic as a project with milestones; progress starts at 0%."""
    _require_staff(acting_user, topic.region.path)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    title = _text(title, "title", "请填写项目名称", errors, 100)
    owner_unit = _text(owner_unit, "owner_unit", "请填写责任单位", errors, 100)
    steps = []
    for number, step in enumerate(milestones or [], start=1):
        name, when = (step if isinstance(step, (tuple, list)) else (step.get("title"), step.get("due_on")))
        name = (name or "").strip()
        if not name:
            errors[f"milestones[{number}].title"] = f"第{number}个节点：请填写名称"
        elif len(name) > 100:
            errors[f"milestones[{number}].title"] = f"第{number}个节点：不能超过 100 个字"
        steps.append((name, when))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(topic)
        _check_work_state(topic)
        if Project.objects.filter(topic=topic).exists():
            raise ValidationError({"title": "该议题已立项"})
        project = Project.objects.create(topic=topic, title=title, owner_unit=owner_unit, owner=owner, due_on=due_on, created_at=now,
                                         created_by=audit.account(acting_user))
        Milestone.objects.bulk_create(Milestone(project=project, position=n, title=name, due_on=when)
                                      for n, (name, when) in enumerate(steps, start=1))
        if topic.state == TopicState.DECIDED:
            _move(topic, "start_work", acting_user=acting_user, now=now, note=f"立项：{title}({owner_unit})")
        audit.record(actor=acting_user, action="deliberation.project", target=project, detail={"topic": topic.pk, "milestones": len(steps)})
    return project


def record_progress(project: Project, *, acting_user, progress, note: str, milestones_done=(), now: datetime | None = None) -> ProgressUpdate:
    """A progress report of a project: per cent (never backwards) and milestones reached."""
    topic = project.topic
    _require_staff(acting_user, topic.region.path)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:
        errors["progress"] = "进度应为 0 到 100 之间的整数"
    note = _text(note, "note", "请填写进展情况", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(topic)
        if topic.state != TopicState.IN_PROGRESS:
            raise lifecycle.IllegalTopicMove(topic.state, "record_progress")
        project = Project.objects.select_for_update().get(pk=project.pk)
        if progress < project.progress:
            raise ValidationError({"progress": f"进度不能低于已报的 {project.progress}%"})
        done_ids = {int(pk) for pk in milestones_done or []}
        known = set(project.milestones.values_list("pk", flat=True))
        if done_ids - known:
            raise ValidationError({"milestones_done": "所选节点不属于该项目"})
        project.milestones.filter(pk__in=done_ids, done_at__isnull=True).update(done_at=now)
        project.progress = progress
        project.save(update_fields=["progress"])
        update = ProgressUpdate.objects.create(project=project, at=now, progress=progress, note=note, recorded_by=audit.account(acting_user))
        audit.record(actor=acting_user, action="deliberation.progress", target=project, detail={"progress": progress})
    return update


def complete_topic(topic: Topic, *, acting_user, result: str, now: datetime | None = None) -> Topic:
    """The work is done: its cases are closed and its project is at 100%. Evaluation opens."""
    from yiwang.cases.models import OPEN_STATUSES

    _require_staff(acting_user, topic.region.path)
    errors: dict[str, str] = {}
    result = _text(result, "result", "请填写办理结果", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(topic)
        open_cases_ = list(topic.case_links.filter(case__status__in=OPEN_STATUSES).values_list("case__number", flat=True))
        if open_cases_:
            raise ValidationError({"result": f"事件 {'、'.join(open_cases_)} 尚未办结"})
        project = Project.objects.filter(topic=topic).first()
        if project is not None and project.progress < 100:
            raise ValidationError({"result": f"项目“{project.title}”进度为 {project.progress}%,尚未完成"})
        return _move(topic, "complete", acting_user=acting_user, now=now or timezone.now(), note=result, fields={"result_summary": result})


# 群众评事 -----------------------------------------------------------------------------------------

def may_evaluate(person, topic: Topic) -> bool:
    """Residents of the topic's community evaluate it."""
    return person is not None and person.region.path.startswith(community_path(topic.region))


def evaluate(topic: Topic, *, acting_user, score, comment: str = "", person=None, now: datetime | None = None) -> Evaluation:
    """One evaluation per resident per topic, 1 to 5 with a comment, while evaluation is open."""
    _require_login(acting_user)
    now = now or timezone.now()
    if is_resident(acting_user):
        own = acting_user.person
        if own is None:
            raise ValidationError({"person": NO_PERSON})
        if person is not None and person.pk != own.pk:
            raise PermissionDenied(gettext("居民只能以本人名义评议"))
        person = own
    else:
        _require_staff(acting_user, topic.region.path)
        if person is None:
            raise ValidationError({"person": "请选择评议居民"})
    errors: dict[str, str] = {}
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        errors["score"] = "评分应为 1 到 5 分"
    comment = (comment or "").strip()
    if len(comment) > 500:
        errors["comment"] = "意见不能超过 500 个字"
    if not may_evaluate(person, topic):
        errors["person"] = f"{person.name} 不是本社区居民，不能评议该议题"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = _locked(topic)
        if topic.state != TopicState.DONE:
            raise ValidationError({"score": "该议题不在评议期" if topic.state == TopicState.EVALUATED else "议题尚未办结，还不能评议"})
        if Evaluation.objects.filter(topic=topic, person=person).exists():
            raise ValidationError({"score": f"{person.name} 已评议过该议题"})
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(topic=topic, person=person, score=score, comment=comment, at=now,
                                                       recorded_by=audit.account(acting_user))
        except IntegrityError as exc:
            # A second click committed between our check and our insert: the constraint decides.
            raise ValidationError({"score": f"{person.name} 已评议过该议题"}) from exc
        audit.record(actor=acting_user, action="deliberation.evaluate", target=evaluation, detail={"topic": topic.pk, "score": score})
    return evaluation


def close_evaluation(topic: Topic, *, acting_user, now: datetime | None = None) -> Topic:
    _require_staff(acting_user, topic.region.path)
    with transaction.atomic():
        topic = _locked(topic)
        count = topic.evaluations.count()
        return _move(topic, "close_evaluation", acting_user=acting_user, now=now or timezone.now(), note=f"共 {count} 人评议")


def may_act(user, topic: Topic) -> bool:
    """Staff who may change data over the topic's grid (pages show the step forms to them)."""
    prefix = scope_path(user)
    return (not is_resident(user) and role_allows(user, Action.CHANGE) and prefix is not None
            and topic.region.path.startswith(prefix))
