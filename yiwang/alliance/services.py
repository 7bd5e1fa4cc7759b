"""Writes for the party alliance: alliances and member units, the three lists (needs, resources,
projects), milestones and progress, and joint meetings whose decisions create projects.

Each write is one transaction with an audit entry; a refusal is a ValidationError naming the field
(or the row, e.g. "milestones[2].due_on") and leaves nothing behind.

Who may write: the alliance is run by the street or community that convenes it, so writes need
Action.CHANGE at the alliance's region. Needs may also be raised by grid staff for their own grid.
Staff of a member department (who only view data) may offer their unit's resources and mark the
milestones their unit answers for.

Progress rules: progress is a whole percentage 0-100; it never sits below the share of milestones
done; it reaches 100 only when every milestone is done, and then the project is done (and its need
met once every live project for it is done).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.scope import Action, require
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.regions.models import Level, Region

from .models import (
    OPEN_PROJECT_STATUSES, Alliance, AllianceMember, AllianceDecision, AllianceMeeting, AllianceMilestone, AllianceNeed, NeedCategory, NeedStatus, AllianceProject,
    ProjectStatus, AllianceResource, ResourceKind,
)

ALLIANCE_LEVELS = (Level.STREET, Level.COMMUNITY)
NEED_LEVELS = (Level.COMMUNITY, Level.GRID)
MAX_MILESTONES = 30
MAX_DECISIONS = 30

# A need waits to be claimed (or is closed), is matched by a project, and is met when its projects
# are done; it goes back on the list when its only project is cancelled.
NEED_MACHINE = StateMachine([
    Transition("close", NeedStatus.OPEN, NeedStatus.CLOSED),
    Transition("answer", (NeedStatus.OPEN, NeedStatus.MATCHED), None),
    Transition("match", NeedStatus.OPEN, NeedStatus.MATCHED),
    Transition("meet", NeedStatus.MATCHED, NeedStatus.MET),
    Transition("reopen", NeedStatus.MATCHED, NeedStatus.OPEN),
])
# A project moves (milestones, progress) while open, and ends done or cancelled.
PROJECT_MACHINE = StateMachine([
    Transition("progress", OPEN_PROJECT_STATUSES, ProjectStatus.IN_PROGRESS),
    Transition("finish", OPEN_PROJECT_STATUSES, ProjectStatus.DONE),
    Transition("cancel", OPEN_PROJECT_STATUSES, ProjectStatus.CANCELLED),
])


# Inputs -----------------------------------------------------------------------------------------

@dataclass
class MilestoneInput:
    title: str
    due_on: date | None
    unit: AllianceMember | None = None


@dataclass
class ProjectInput:
    title: str
    lead: AllianceMember | None
    starts_on: date | None = None
    due_on: date | None = None
    description: str = ""
    need: AllianceNeed | None = None
    cooperating: list[AllianceMember] = field(default_factory=list)
    resources: list[AllianceResource] = field(default_factory=list)
    milestones: list[MilestoneInput] = field(default_factory=list)
    region: Region | None = None


@dataclass
class DecisionInput:
    text: str
    project: ProjectInput | None = None


# Who may ------------------------------------------------------------------------------------------

def _require_change(user, alliance: Alliance) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    require(user, Action.CHANGE, alliance.region.path)


def may_change(user, alliance: Alliance) -> bool:
    try:
        _require_change(user, alliance)
    except PermissionDenied:
        return False
    return True


def _is_unit_staff(user, unit: AllianceMember | None) -> bool:
    """The user works at the unit's department (department accounts only view, but act for their unit)."""
    if unit is None or not unit.department_id or user is None or not getattr(user, "is_authenticated", False):
        return False
    return unit.department.members.filter(pk=user.pk).exists()


def may_mark_milestone(user, milestone: AllianceMilestone) -> bool:
    return may_change(user, milestone.project.alliance) or _is_unit_staff(user, milestone.responsible)


def may_offer_for(user, alliance: Alliance, unit: AllianceMember | None) -> bool:
    return may_change(user, alliance) or _is_unit_staff(user, unit)


# Helpers -------------------------------------------------------------------------------------------

def _text(value, field_name: str, label: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field_name: f"请填写{label}"})
    if len(value) > max_length:
        raise ValidationError({field_name: f"{label}最多 {max_length} 字"})
    return value


def _not_future(day: date | None, field_name: str, label: str) -> date:
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValidationError({field_name: f"{label}不能晚于今天"})
    return day


def _inside(region: Region, outer: Region) -> bool:
    return region.path.startswith(outer.path)


def _unit_region_ok(unit_region: Region, alliance: Alliance) -> bool:
    """A unit sits in the alliance's area or above it (a district bureau joins a street alliance)."""
    return alliance.region.path.startswith(unit_region.path) or unit_region.path.startswith(alliance.region.path)


def _lock_alliance(alliance: Alliance) -> Alliance:
    locked = Alliance.objects.select_for_update().select_related("region").get(pk=alliance.pk)
    if not locked.active:
        raise ValidationError({"alliance": f"{locked.name} 已停止运行"})
    return locked


def _member_of(alliance: Alliance, unit: AllianceMember | None, field_name: str, label: str, *, on: date | None = None) -> AllianceMember:
    """The unit as a current member of this alliance (on `on`, when given), else a refusal naming the field."""
    if unit is None:
        raise ValidationError({field_name: f"请选择{label}"})
    fresh = AllianceMember.objects.select_related("department").filter(pk=unit.pk).first()
    if fresh is None or fresh.alliance_id != alliance.pk:
        raise ValidationError({field_name: f"{getattr(unit, 'label', unit)} 不是 {alliance.name} 的成员单位，{label}须是成员单位"})
    day = on or timezone.localdate()
    if not fresh.member_on(day):
        raise ValidationError({field_name: f"{fresh.label} {day:%Y-%m-%d} 不在联盟中（加入 {fresh.joined_on:%Y-%m-%d}"
                                           f"{',退出 ' + format(fresh.left_on, '%Y-%m-%d') if fresh.left_on else ''}),不能作为{label}"})
    return fresh


# Alliances and members -----------------------------------------------------------------------------

def create_alliance(*, acting_user, name: str, region: Region, founded_on: date | None = None, description: str = "") -> Alliance:
    name = _text(name, "name", "联盟名称", 100)
    if region is None:
        raise ValidationError({"region": "请选择联盟所属的街道或社区"})
    if region.level not in ALLIANCE_LEVELS:
        raise ValidationError({"region": f"党建联盟建在街道或社区，{region.name} 是{region.get_level_display()}"})
    founded_on = _not_future(founded_on, "founded_on", "成立日期")
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    require(acting_user, Action.CHANGE, region.path)
    with transaction.atomic():
        if Alliance.objects.filter(region=region, name=name).exists():
            raise ValidationError({"name": f"{region.name} 已有名为 {name} 的联盟"})
        alliance = Alliance.objects.create(name=name, region=region, founded_on=founded_on, description=(description or "").strip(),
                                           created_by=audit.account(acting_user))
        audit.record(actor=acting_user, action="alliance.create", target=alliance, detail={"region": region.code, "name": name})
    return alliance


def add_member(alliance: Alliance, *, acting_user, department=None, name: str = "", party_organization=None,
               party_organization_name: str = "", joined_on: date | None = None, contact_name: str = "", contact_phone: str = "",
               commitment: str = "") -> AllianceMember:
    """Admit a unit: a catalogue department marked as an alliance unit, or a unit by name."""
    _require_change(acting_user, alliance)
    name = _text(name, "name", "单位名称", 100, required=False)
    if department is None and not name:
        raise ValidationError({"department": "请选择部门库中的共建单位，或填写单位名称"})
    if department is not None and name:
        raise ValidationError({"name": "已选择部门库中的单位，无需再填写名称"})
    if department is not None:
        if not department.is_alliance_unit:
            raise ValidationError({"department": f"{department.name} 在部门库中未标记为共建单位"})
        if not department.active:
            raise ValidationError({"department": f"{department.name} 已停用"})
        if not _unit_region_ok(department.region, alliance):
            raise ValidationError({"department": f"{department.name} 不在 {alliance.region.name} 或其上级区域"})
    if party_organization is not None and not _unit_region_ok(party_organization.region, alliance):
        raise ValidationError({"party_organization": f"{party_organization.name} 不在 {alliance.region.name} 或其上级区域"})
    joined_on = _not_future(joined_on, "joined_on", "加入日期")
    with transaction.atomic():
        alliance = _lock_alliance(alliance)
        if joined_on < alliance.founded_on:
            raise ValidationError({"joined_on": f"加入日期不能早于联盟成立日期 {alliance.founded_on:%Y-%m-%d}"})
        current = alliance.members.filter(left_on__isnull=True)
        if department is not None and current.filter(department=department).exists():
            raise ValidationError({"department": f"{department.name} 已是 {alliance.name} 的成员单位"})
        if name and current.filter(department__isnull=True, name=name).exists():
            raise ValidationError({"name": f"{name} 已是 {alliance.name} 的成员单位"})
        try:
            with transaction.atomic():
                member = AllianceMember.objects.create(
                    alliance=alliance, department=department, name=name, party_organization=party_organization,
                    party_organization_name=_text(party_organization_name, "party_organization_name", "党组织名称", 150, required=False),
                    contact_name=_text(contact_name, "contact_name", "联络人", 50, required=False),
                    contact_phone=_text(contact_phone, "contact_phone", "联系电话", 32, required=False),
                    commitment=_text(commitment, "commitment", "共建承诺", 200, required=False), joined_on=joined_on)
        except IntegrityError as exc:
            raise ValidationError({"department" if department is not None else "name": "该单位已是本联盟成员"}) from exc
        audit.record(actor=acting_user, action="alliance.member.add", target=member,
                     detail={"alliance": alliance.pk, "unit": member.label, "department": department.code if department else None})
    return member


def end_membership(member: AllianceMember, *, acting_user, left_on: date | None = None, reason: str = "") -> AllianceMember:
    """A unit leaves. It may not while it leads a project still open: hand the lead over first."""
    _require_change(acting_user, member.alliance)
    reason = _text(reason, "reason", "退出原因", 200)
    left_on = _not_future(left_on, "left_on", "退出日期")
    with transaction.atomic():
        _lock_alliance(member.alliance)
        member = AllianceMember.objects.select_for_update().get(pk=member.pk)
        if member.left_on is not None:
            raise ValidationError({"left_on": f"{member.label} 已于 {member.left_on:%Y-%m-%d} 退出"})
        if left_on < member.joined_on:
            raise ValidationError({"left_on": f"退出日期不能早于加入日期 {member.joined_on:%Y-%m-%d}"})
        leading = member.led_projects.filter(status__in=OPEN_PROJECT_STATUSES).first()
        if leading is not None:
            raise ValidationError({"left_on": f"{member.label} 仍牵头项目“{leading.title}”，请先完成或撤销该项目"})
        member.left_on, member.left_reason = left_on, reason
        member.save(update_fields=["left_on", "left_reason"])
        audit.record(actor=acting_user, action="alliance.member.leave", target=member, detail={"left_on": left_on.isoformat(), "reason": reason})
    return member


# Needs and resources -------------------------------------------------------------------------------

def raise_need(alliance: Alliance, *, acting_user, region: Region, title: str, description: str,
               category: str = NeedCategory.OTHER, residents_affected: int | None = None, raised_on: date | None = None) -> AllianceNeed:
    """A community or grid puts a residents' need on the alliance's needs list."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    title = _text(title, "title", "需求", 100)
    description = _text(description, "description", "群众诉求", 2000)
    if category not in NeedCategory.values:
        raise ValidationError({"category": f"未知的需求类别 {category!r}"})
    if residents_affected is not None and (not isinstance(residents_affected, int) or not 0 < residents_affected <= 1_000_000):
        raise ValidationError({"residents_affected": "受益群众人数应为 1 到 1,000,000 之间的整数"})
    if region is None:
        raise ValidationError({"region": "请选择提出需求的社区或网格"})
    if region.level not in NEED_LEVELS:
        raise ValidationError({"region": f"需求由社区或网格提出，{region.name} 是{region.get_level_display()}"})
    if not _inside(region, alliance.region):
        raise ValidationError({"region": f"{region.name} 不在 {alliance.name} 的范围（{alliance.region.name}）内"})
    # A grid worker raises needs of their own grid; the convenor for any grid of the alliance.
    require(acting_user, Action.CHANGE, region.path)
    raised_on = _not_future(raised_on, "raised_on", "提出日期")
    with transaction.atomic():
        alliance = _lock_alliance(alliance)
        need = AllianceNeed.objects.create(alliance=alliance, region=region, title=title, description=description, category=category,
                                   residents_affected=residents_affected, raised_on=raised_on, raised_by=audit.account(acting_user))
        audit.record(actor=acting_user, action="alliance.need.raise", target=need, detail={"alliance": alliance.pk, "region": region.code})
    return need


def close_need(need: AllianceNeed, *, acting_user, reason: str) -> AllianceNeed:
    """Take a need off the list without a project (duplicate, solved otherwise, not for the alliance)."""
    _require_change(acting_user, need.alliance)
    reason = _text(reason, "reason", "关闭原因", 200)
    with transaction.atomic():
        need = AllianceNeed.objects.select_for_update().get(pk=need.pk)
        NEED_MACHINE.apply(need, "close", otherwise=ValidationError(
            {"status": f"只有待认领的需求可以关闭，此需求{need.get_status_display()}"}))
        need.closed_reason = reason
        need.save(update_fields=["status", "closed_reason"])
        audit.record(actor=acting_user, action="alliance.need.close", target=need, detail={"reason": reason})
    return need


def offer_resource(alliance: Alliance, *, acting_user, unit: AllianceMember, kind: str, description: str, capacity: str,
                   offered_on: date | None = None) -> AllianceResource:
    if not may_offer_for(acting_user, alliance, unit):
        raise PermissionDenied(gettext("只有联盟召集方或该单位的工作人员可以登记资源"))
    if kind not in ResourceKind.values:
        raise ValidationError({"kind": f"未知的资源类别 {kind!r}"})
    description = _text(description, "description", "资源内容", 200)
    capacity = _text(capacity, "capacity", "可提供量", 100)
    offered_on = _not_future(offered_on, "offered_on", "登记日期")
    with transaction.atomic():
        alliance = _lock_alliance(alliance)
        unit = _member_of(alliance, unit, "unit", "提供单位", on=offered_on)
        resource = AllianceResource.objects.create(alliance=alliance, unit=unit, kind=kind, description=description, capacity=capacity, offered_on=offered_on)
        audit.record(actor=acting_user, action="alliance.resource.offer", target=resource, detail={"unit": unit.pk, "kind": kind})
    return resource


def withdraw_resource(resource: AllianceResource, *, acting_user) -> AllianceResource:
    if not may_offer_for(acting_user, resource.alliance, resource.unit):
        raise PermissionDenied(gettext("只有联盟召集方或该单位的工作人员可以调整资源"))
    with transaction.atomic():
        resource = AllianceResource.objects.select_for_update().get(pk=resource.pk)
        resource.available = False
        resource.save(update_fields=["available"])
        audit.record(actor=acting_user, action="alliance.resource.withdraw", target=resource)
    return resource


# Projects --------------------------------------------------------------------------------------------

def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    if not prefix:
        return exc
    return ValidationError({f"{prefix}{key}": messages for key, messages in exc.message_dict.items()})


def _build_project(alliance: Alliance, data: ProjectInput, *, acting_user, prefix: str = "") -> AllianceProject:
    """Validate and create one project with its milestones inside the caller's transaction.
    Field names in refusals carry `prefix` (e.g. "decisions[2].") so a form can point at the row."""
    try:
        title = _text(data.title, "title", "项目名称", 100)
        description = _text(data.description, "description", "项目内容", 4000, required=False)
        starts_on = data.starts_on or timezone.localdate()
        if data.due_on is not None and data.due_on < starts_on:
            raise ValidationError({"due_on": "计划完成日期不能早于开始日期"})
        # The lead answers for the project from now on, so it must be a member today.
        lead = _member_of(alliance, data.lead, "lead", "牵头单位")
        cooperating: list[AllianceMember] = []
        for unit in data.cooperating:
            unit = _member_of(alliance, unit, "cooperating", "配合单位")
            if unit.pk == lead.pk:
                raise ValidationError({"cooperating": f"{unit.label} 已是牵头单位，不能同时作为配合单位"})
            if unit.pk not in {u.pk for u in cooperating}:
                cooperating.append(unit)
        need = None
        if data.need is not None:
            need = AllianceNeed.objects.select_for_update().filter(pk=data.need.pk).first()
            if need is None or need.alliance_id != alliance.pk:
                raise ValidationError({"need": "所选需求不在本联盟的需求清单中"})
            NEED_MACHINE.move(need, "answer", otherwise=ValidationError({"need": f"需求“{need.title}”{need.get_status_display()}，不能再立项"}))
        resources: list[AllianceResource] = []
        for resource in data.resources:
            fresh = AllianceResource.objects.filter(pk=resource.pk).first()
            if fresh is None or fresh.alliance_id != alliance.pk:
                raise ValidationError({"resources": "所选资源不在本联盟的资源清单中"})
            if not fresh.available:
                raise ValidationError({"resources": f"资源“{fresh.description}”已不可用"})
            resources.append(fresh)
        region = data.region or (need.region if need is not None else alliance.region)
        if not _inside(region, alliance.region):
            raise ValidationError({"region": f"{region.name} 不在 {alliance.region.name} 内"})
        if len(data.milestones) > MAX_MILESTONES:
            raise ValidationError({"milestones": f"一个项目最多 {MAX_MILESTONES} 个节点"})
        participants = {lead.pk, *(u.pk for u in cooperating)}
        checked: list[tuple[str, date, AllianceMember | None]] = []
        for number, row in enumerate(data.milestones, start=1):
            key = f"milestones[{number}]"
            checked.append(_check_milestone(row, key=key, number=number, starts_on=starts_on, due_on=data.due_on,
                                            participants=participants, alliance=alliance))
    except ValidationError as exc:
        raise _prefixed(exc, prefix) from exc
    project = AllianceProject.objects.create(alliance=alliance, region=region, need=need, title=title, description=description, lead=lead,
                                     starts_on=starts_on, due_on=data.due_on, created_by=audit.account(acting_user))
    project.cooperating.set(cooperating)
    project.resources.set(resources)
    AllianceMilestone.objects.bulk_create([AllianceMilestone(project=project, position=i, title=title_, due_on=due, unit=unit)
                                   for i, (title_, due, unit) in enumerate(checked, start=1)])
    if need is not None and NEED_MACHINE.can(need, "match"):
        NEED_MACHINE.apply(need, "match")
        need.save(update_fields=["status"])
    audit.record(actor=acting_user, action="alliance.project.create", target=project,
                 detail={"alliance": alliance.pk, "need": need.pk if need else None, "lead": lead.pk,
                         "cooperating": [u.pk for u in cooperating], "milestones": len(checked)})
    return project


def _check_milestone(row: MilestoneInput, *, key: str, number: int, starts_on: date, due_on: date | None, participants: set[int],
                     alliance: Alliance) -> tuple[str, date, AllianceMember | None]:
    title = (row.title or "").strip()
    if not title:
        raise ValidationError({f"{key}.title": f"第{number}个节点：请填写节点名称"})
    if len(title) > 100:
        raise ValidationError({f"{key}.title": f"第{number}个节点：名称最多 100 字"})
    if row.due_on is None:
        raise ValidationError({f"{key}.due_on": f"第{number}个节点：请填写计划完成日期"})
    if row.due_on < starts_on:
        raise ValidationError({f"{key}.due_on": f"第{number}个节点：计划完成日期不能早于项目开始日期 {starts_on:%Y-%m-%d}"})
    if due_on is not None and row.due_on > due_on:
        raise ValidationError({f"{key}.due_on": f"第{number}个节点：计划完成日期不能晚于项目计划完成日期 {due_on:%Y-%m-%d}"})
    unit = row.unit
    if unit is not None and unit.pk not in participants:
        raise ValidationError({f"{key}.unit": f"第{number}个节点：责任单位须是项目的牵头或配合单位"})
    return title, row.due_on, unit


def create_project(alliance: Alliance, data: ProjectInput, *, acting_user) -> AllianceProject:
    """Put a project on the list: a need (optional) matched with resources, a lead unit that is a
    member, cooperating members and milestones, all or nothing."""
    _require_change(acting_user, alliance)
    with transaction.atomic():
        alliance = _lock_alliance(alliance)
        return _build_project(alliance, data, acting_user=acting_user)


def add_milestone(project: AllianceProject, *, acting_user, title: str, due_on: date | None, unit: AllianceMember | None = None) -> AllianceMilestone:
    _require_change(acting_user, project.alliance)
    with transaction.atomic():
        project = AllianceProject.objects.select_for_update().get(pk=project.pk)
        if not project.is_open:
            raise ValidationError({"project": f"项目{project.get_status_display()}，不能再增加节点"})
        if project.milestones.count() >= MAX_MILESTONES:
            raise ValidationError({"milestones": f"一个项目最多 {MAX_MILESTONES} 个节点"})
        participants = {project.lead_id, *project.cooperating.values_list("pk", flat=True)}
        title, due, unit = _check_milestone(MilestoneInput(title=title, due_on=due_on, unit=unit), key="milestone", number=project.milestones.count() + 1,
                                            starts_on=project.starts_on, due_on=project.due_on, participants=participants, alliance=project.alliance)
        # A new undone step lowers the done share; progress stays where it was unless it claimed 100.
        position = (project.milestones.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        milestone = AllianceMilestone.objects.create(project=project, position=position, title=title, due_on=due, unit=unit)
        audit.record(actor=acting_user, action="alliance.milestone.add", target=milestone, detail={"project": project.pk})
    return milestone


def _done_share(project: AllianceProject) -> tuple[int, int]:
    milestones = list(project.milestones.values_list("done_on", flat=True))
    return sum(1 for d in milestones if d is not None), len(milestones)


def _finish(project: AllianceProject, *, completed_on: date) -> None:
    PROJECT_MACHINE.apply(project, "finish")
    project.progress, project.completed_on = 100, completed_on
    if project.need_id:
        need = AllianceNeed.objects.select_for_update().get(pk=project.need_id)
        others_open = need.projects.exclude(pk=project.pk).filter(status__in=OPEN_PROJECT_STATUSES).exists()
        if NEED_MACHINE.can(need, "meet") and not others_open:
            NEED_MACHINE.apply(need, "meet")
            need.save(update_fields=["status"])


def complete_milestone(milestone: AllianceMilestone, *, acting_user, done_on: date | None = None, note: str = "") -> AllianceMilestone:
    """Mark a milestone done on a day (today by default). Progress rises to at least the share of
    milestones done; the last one done finishes the project."""
    if not may_mark_milestone(acting_user, milestone):
        raise PermissionDenied(gettext("只有联盟召集方或节点责任单位的工作人员可以确认节点完成"))
    note = _text(note, "note", "完成情况", 200, required=False)
    done_on = _not_future(done_on, "done_on", "完成日期")
    with transaction.atomic():
        project = AllianceProject.objects.select_for_update().get(pk=milestone.project_id)
        milestone = AllianceMilestone.objects.select_for_update().get(pk=milestone.pk)
        PROJECT_MACHINE.move(project, "progress", otherwise=ValidationError({"project": f"项目{project.get_status_display()}，节点不能再变更"}))
        if milestone.done_on is not None:
            raise ValidationError({"done_on": f"节点“{milestone.title}”已于 {milestone.done_on:%Y-%m-%d} 完成"})
        if done_on < project.starts_on:
            raise ValidationError({"done_on": f"完成日期不能早于项目开始日期 {project.starts_on:%Y-%m-%d}"})
        milestone.done_on, milestone.note, milestone.done_by = done_on, note, audit.account(acting_user)
        milestone.save(update_fields=["done_on", "note", "done_by"])
        done, total = _done_share(project)
        fields = ["progress", "status"]
        if done == total:
            _finish(project, completed_on=max(project.milestones.values_list("done_on", flat=True)))
            fields.append("completed_on")
        else:
            project.progress = max(project.progress, done * 100 // total)
            PROJECT_MACHINE.apply(project, "progress")
        project.save(update_fields=fields)
        audit.record(actor=acting_user, action="alliance.milestone.done", target=milestone,
                     detail={"project": project.pk, "done_on": done_on.isoformat(), "on_time": done_on <= milestone.due_on,
                             "progress": project.progress})
    return milestone


def set_progress(project: AllianceProject, *, acting_user, progress, note: str = "") -> AllianceProject:
    """Report progress by hand (a project's work is more than its milestones), within the rules above."""
    _require_change(acting_user, project.alliance)
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValidationError({"progress": "进度应为 0 到 100 之间的整数"})
    note = _text(note, "note", "说明", 200, required=False)
    with transaction.atomic():
        project = AllianceProject.objects.select_for_update().get(pk=project.pk)
        PROJECT_MACHINE.move(project, "progress", otherwise=ValidationError({"progress": f"项目{project.get_status_display()}，进度不能再变更"}))
        done, total = _done_share(project)
        floor = done * 100 // total if total else 0
        if progress < floor:
            raise ValidationError({"progress": f"已完成 {done}/{total} 个节点，进度不能低于 {floor}%"})
        if progress == 100 and total and done < total:
            raise ValidationError({"progress": f"还有 {total - done} 个节点未完成，进度不能为 100%"})
        before = project.progress
        fields = ["progress", "status"]
        if progress == 100:
            _finish(project, completed_on=timezone.localdate())
            fields.append("completed_on")
        else:
            project.progress = progress
            if progress > 0:
                PROJECT_MACHINE.apply(project, "progress")
        project.save(update_fields=fields)
        audit.record(actor=acting_user, action="alliance.project.progress", target=project,
                     detail={"from": before, "to": project.progress, "note": note})
    return project


def cancel_project(project: AllianceProject, *, acting_user, reason: str) -> AllianceProject:
    _require_change(acting_user, project.alliance)
    reason = _text(reason, "reason", "撤销原因", 200)
    with transaction.atomic():
        project = AllianceProject.objects.select_for_update().get(pk=project.pk)
        PROJECT_MACHINE.apply(project, "cancel", otherwise=ValidationError({"status": f"项目{project.get_status_display()}，不能撤销"}))
        project.cancel_reason = reason
        project.save(update_fields=["status", "cancel_reason"])
        if project.need_id:
            need = AllianceNeed.objects.select_for_update().get(pk=project.need_id)
            # The need goes back on the list when no other project answers it, and is met when
            # every project still answering it is done.
            others = need.projects.exclude(pk=project.pk).exclude(status=ProjectStatus.CANCELLED)
            if NEED_MACHINE.can(need, "reopen") and not others.exists():
                NEED_MACHINE.apply(need, "reopen")
                need.save(update_fields=["status"])
            elif NEED_MACHINE.can(need, "meet") and not others.exclude(status=ProjectStatus.DONE).exists():
                NEED_MACHINE.apply(need, "meet")
                need.save(update_fields=["status"])
        audit.record(actor=acting_user, action="alliance.project.cancel", target=project, detail={"reason": reason})
    return project


# Meetings --------------------------------------------------------------------------------------------

def record_meeting(alliance: Alliance, *, acting_user, held_on: date | None, topic: str, minutes: str, attendees: list[AllianceMember],
                   place: str = "", decisions: list[DecisionInput] | None = None) -> AllianceMeeting:
    """Record a joint meeting with its attendees and decisions; decisions that set up work create
    their projects in the same transaction, so one bad project keeps the whole meeting out."""
    _require_change(acting_user, alliance)
    if held_on is None:
        raise ValidationError({"held_on": "请填写召开日期"})
    held_on = _not_future(held_on, "held_on", "召开日期")
    topic = _text(topic, "topic", "议题", 150)
    minutes = _text(minutes, "minutes", "会议纪要", 20000)
    place = _text(place, "place", "地点", 100, required=False)
    decisions = decisions or []
    if len(decisions) > MAX_DECISIONS:
        raise ValidationError({"decisions": f"一次会议最多记录 {MAX_DECISIONS} 项决定"})
    if not attendees:
        raise ValidationError({"attendees": "请选择参会单位"})
    with transaction.atomic():
        alliance = _lock_alliance(alliance)
        if held_on < alliance.founded_on:
            raise ValidationError({"held_on": f"召开日期不能早于联盟成立日期 {alliance.founded_on:%Y-%m-%d}"})
        present: dict[int, AllianceMember] = {}
        for unit in attendees:
            unit = _member_of(alliance, unit, "attendees", "参会单位", on=held_on)
            present[unit.pk] = unit
        meeting = AllianceMeeting.objects.create(alliance=alliance, held_on=held_on, topic=topic, place=place, minutes=minutes,
                                         recorded_by=audit.account(acting_user))
        meeting.attendees.set(present.values())
        made = 0
        for number, decision in enumerate(decisions, start=1):
            prefix = f"decisions[{number}]."
            text = (decision.text or "").strip()
            if not text:
                raise ValidationError({f"{prefix}text": f"第{number}项决定：请填写决定事项"})
            if len(text) > 300:
                raise ValidationError({f"{prefix}text": f"第{number}项决定：最多 300 字"})
            project = None
            if decision.project is not None:
                project = _build_project(alliance, decision.project, acting_user=acting_user, prefix=f"{prefix}project.")
                made += 1
            AllianceDecision.objects.create(meeting=meeting, position=number, text=text, project=project)
        audit.record(actor=acting_user, action="alliance.meeting.record", target=meeting,
                     detail={"alliance": alliance.pk, "held_on": held_on.isoformat(), "attendees": sorted(present),
                             "decisions": len(decisions), "projects": made})
    return meeting

