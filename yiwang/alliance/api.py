"""The alliance API: alliances, member units with their record, the three lists (needs, resources,
projects with milestones), joint meetings and the quarters without one; writes through the
services. Everything is read within the caller's scope (alliance-level rows also from inside the
alliance's area, see models.AllianceQuerySet)."""


from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Count, Day, Id, IdQuery, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action
from yiwang.matters.models import Department
from yiwang.party.models import PartyOrganization
from yiwang.regions.models import Region

from . import selectors, services
from .models import Alliance, AllianceMember, AllianceMeeting, AllianceMilestone, AllianceNeed, AllianceProject, AllianceResource

router = Router(tags=["alliance"])


# Schemas ----------------------------------------------------------------------------------------------

class AllianceOut(Schema):
    id: int
    name: str
    region_code: RegionCode
    region_name: str
    region_level: str
    description: str
    founded_on: date
    active: bool

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_region_level(obj):
        return obj.region.level


class AllianceMemberOut(Schema):
    id: int
    alliance_id: int
    label: str
    department_code: str | None
    party_organization_id: int | None
    party_organization_name: str
    contact_name: str
    commitment: str
    joined_on: date
    left_on: date | None
    active: bool

    @staticmethod
    def resolve_department_code(obj):
        return obj.department.code if obj.department_id else None

    @staticmethod
    def resolve_party_organization_name(obj):
        return obj.party_label


class NeedOut(Schema):
    id: int
    alliance_id: int
    region_code: RegionCode
    region_name: str
    title: str
    description: str
    category: str
    category_label: str
    residents_affected: int | None
    raised_on: date
    status: str
    status_label: str
    closed_reason: str
    project_ids: list[int]

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_category_label(obj):
        return obj.get_category_display()

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_project_ids(obj):
        return [p.pk for p in obj.projects.all()]


class ResourceOut(Schema):
    id: int
    alliance_id: int
    unit_id: int
    unit: str
    kind: str
    kind_label: str
    description: str
    capacity: str
    available: bool
    offered_on: date

    @staticmethod
    def resolve_unit(obj):
        return obj.unit.label

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()


class AllianceMilestoneOut(Schema):
    id: int
    position: int
    title: str
    unit_id: int | None
    responsible: str
    due_on: date
    done_on: date | None
    on_time: bool | None
    note: str

    @staticmethod
    def resolve_responsible(obj):
        return obj.responsible.label


class AllianceProjectOut(Schema):
    id: int
    alliance_id: int
    region_code: RegionCode
    need_id: int | None
    title: str
    description: str
    lead_id: int
    lead: str
    cooperating: list[str]
    cooperating_ids: list[int]
    resource_ids: list[int]
    starts_on: date
    due_on: date | None
    status: str
    status_label: str
    progress: int
    completed_on: date | None
    meeting_id: int | None
    milestones: list[AllianceMilestoneOut]

    @staticmethod
    def resolve_lead(obj):
        return obj.lead.label

    @staticmethod
    def resolve_cooperating(obj):
        return [u.label for u in obj.cooperating.all()]

    @staticmethod
    def resolve_cooperating_ids(obj):
        return [u.pk for u in obj.cooperating.all()]

    @staticmethod
    def resolve_resource_ids(obj):
        return [r.pk for r in obj.resources.all()]

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_meeting_id(obj):
        decision = getattr(obj, "decision", None)
        return decision.meeting_id if decision is not None else None

    @staticmethod
    def resolve_milestones(obj):
        return list(obj.milestones.all())


class DecisionOut(Schema):
    position: int
    text: str
    project_id: int | None


class AllianceMeetingOut(Schema):
    id: int
    alliance_id: int
    held_on: date
    quarter: str
    topic: str
    place: str
    attendees: list[str]
    attendee_ids: list[int]
    minutes: str
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_quarter(obj):
        return obj.quarter_label

    @staticmethod
    def resolve_attendees(obj):
        return [u.label for u in obj.attendees.all()]

    @staticmethod
    def resolve_attendee_ids(obj):
        return [u.pk for u in obj.attendees.all()]

    @staticmethod
    def resolve_decisions(obj):
        return list(obj.decisions.all())


class QuarterOut(Schema):
    label: str
    start: date
    end: date
    status: str
    status_label: str
    meeting_ids: list[int]


class AllianceIn(Schema):
    name: str
    region: str  # code
    founded_on: Day | None = None
    description: str = ""


class MemberIn(Schema):
    department: str | None = None  # code
    name: str = ""
    party_organization: Id | None = None
    party_organization_name: str = ""
    joined_on: Day | None = None
    contact_name: str = ""
    contact_phone: str = ""
    commitment: str = ""


class AllianceLeaveIn(Schema):
    left_on: Day | None = None
    reason: str


class NeedIn(Schema):
    region: str  # code of a community or grid
    title: str
    description: str
    category: str = "other"
    residents_affected: Count | None = None
    raised_on: Day | None = None


class CloseIn(Schema):
    reason: str


class ResourceIn(Schema):
    unit: Id
    kind: str
    description: str
    capacity: str
    offered_on: Day | None = None


class AllianceMilestoneIn(Schema):
    title: str
    due_on: Day | None = None
    unit: Id | None = None


class AllianceProjectIn(Schema):
    title: str
    lead: Id | None = None
    need: Id | None = None
    description: str = ""
    starts_on: Day | None = None
    due_on: Day | None = None
    cooperating: list[Id] = []
    resources: list[Id] = []
    milestones: list[AllianceMilestoneIn] = []


class DoneIn(Schema):
    done_on: Day | None = None
    note: str = ""


class AllianceProgressIn(Schema):
    progress: Count
    note: str = ""


class AllianceDecisionIn(Schema):
    text: str
    project: AllianceProjectIn | None = None


class AllianceMeetingIn(Schema):
    held_on: Day
    topic: str
    minutes: str
    place: str = ""
    attendees: list[Id]
    decisions: list[AllianceDecisionIn] = []


# Helpers -------------------------------------------------------------------------------------------------

def _projects(queryset):
    return queryset.select_related("region", "lead__department", "decision").prefetch_related(
        "cooperating__department", "resources", "milestones__unit__department", "milestones__project__lead__department")


def _meetings(queryset):
    return queryset.prefetch_related("attendees__department", "decisions")


def _member(alliance: Alliance, pk: int | None, field: str) -> AllianceMember | None:
    """A member of this alliance by id; anything else is refused by the services with the field named."""
    if pk is None:
        return None
    member = AllianceMember.objects.select_related("department").filter(pk=pk).first()
    if member is None or member.alliance_id != alliance.pk:
        raise ValidationError({field: f"{alliance.name} 没有编号为 {pk} 的成员单位"})
    return member


def _project_input(alliance: Alliance, payload: AllianceProjectIn, prefix: str = "") -> services.ProjectInput:
    need = None
    if payload.need is not None:
        need = AllianceNeed.objects.filter(pk=payload.need, alliance=alliance).first()
        if need is None:
            raise ValidationError({f"{prefix}need": f"本联盟没有编号为 {payload.need} 的需求"})
    resources = list(AllianceResource.objects.filter(pk__in=payload.resources, alliance=alliance))
    if len(resources) != len(set(payload.resources)):
        raise ValidationError({f"{prefix}resources": "所选资源不在本联盟的资源清单中"})
    return services.ProjectInput(
        title=payload.title, lead=_member(alliance, payload.lead, f"{prefix}lead"), need=need, description=payload.description,
        starts_on=payload.starts_on, due_on=payload.due_on,
        cooperating=[_member(alliance, pk, f"{prefix}cooperating") for pk in payload.cooperating], resources=resources,
        milestones=[services.MilestoneInput(title=m.title, due_on=m.due_on, unit=_member(alliance, m.unit, f"{prefix}milestones[{i}].unit"))
                    for i, m in enumerate(payload.milestones, start=1)])


# Reads ---------------------------------------------------------------------------------------------------

@router.get("/alliances", response=list[AllianceOut])
@paginate(Page)
def list_alliances(request, region: str | None = None):
    return under_region(scoped(request, Alliance).select_related("region"), region)


@router.get("/alliances/{int:alliance_id}", response=AllianceOut)
def get_alliance(request, alliance_id: int):
    return get_scoped(request, Alliance, pk=alliance_id)


@router.get("/alliances/{int:alliance_id}/quarters", response=list[QuarterOut])
def alliance_quarters(request, alliance_id: int):
    """The alliance's last quarters and whether each held its joint meeting (联席会议)."""
    alliance = get_scoped(request, Alliance, pk=alliance_id)
    return [{"label": row.label, "start": row.start, "end": row.end, "status": row.status, "status_label": row.status_label,
             "meeting_ids": [m.pk for m in row.meetings]} for row in selectors.meeting_quarters(alliance)]


@router.get("/members", response=list[AllianceMemberOut])
@paginate(Page)
def list_members(request, alliance: int | None = IdQuery(), active: bool | None = None):
    members = scoped(request, AllianceMember).select_related("department", "party_organization")
    if alliance:
        members = members.filter(alliance_id=alliance)
    if active is not None:
        members = members.filter(left_on__isnull=active)
    return members


@router.get("/members/{int:member_id}/record")
def member_record(request, member_id: int, since: date | None = None, until: date | None = None):
    """The unit's record: projects led and joined, milestones on time, needs answered, summonses answered."""
    member = get_scoped(request, AllianceMember, pk=member_id)
    if since and until and until <= since:
        raise ValidationError({"until": gettext("结束日期须晚于开始日期")})
    record = selectors.unit_record(member, since=since, until=until)
    return record


@router.get("/needs", response=list[NeedOut])
@paginate(Page)
def list_needs(request, alliance: int | None = IdQuery(), status: str | None = None, region: str | None = None):
    needs = under_region(scoped(request, AllianceNeed), region).select_related("region").prefetch_related("projects")
    if alliance:
        needs = needs.filter(alliance_id=alliance)
    if status:
        needs = needs.filter(status=status)
    return needs


@router.get("/needs/{int:need_id}", response=NeedOut)
def get_need(request, need_id: int):
    return get_scoped(request, AllianceNeed, pk=need_id)


@router.get("/resources", response=list[ResourceOut])
@paginate(Page)
def list_resources(request, alliance: int | None = IdQuery(), available: bool | None = None):
    resources = scoped(request, AllianceResource).select_related("unit__department")
    if alliance:
        resources = resources.filter(alliance_id=alliance)
    if available is not None:
        resources = resources.filter(available=available)
    return resources


@router.get("/projects", response=list[AllianceProjectOut])
@paginate(Page)
def list_projects(request, alliance: int | None = IdQuery(), status: str | None = None, region: str | None = None):
    projects = under_region(scoped(request, AllianceProject), region)
    if alliance:
        projects = projects.filter(alliance_id=alliance)
    if status:
        projects = projects.filter(status=status)
    return _projects(projects)


@router.get("/projects/{int:project_id}", response=AllianceProjectOut)
def get_project(request, project_id: int):
    project = get_scoped(request, AllianceProject, pk=project_id)
    return _projects(AllianceProject.objects.filter(pk=project.pk)).get()


@router.get("/meetings", response=list[AllianceMeetingOut])
@paginate(Page)
def list_meetings(request, alliance: int | None = IdQuery()):
    meetings = scoped(request, AllianceMeeting)
    if alliance:
        meetings = meetings.filter(alliance_id=alliance)
    return _meetings(meetings)


@router.get("/meetings/{int:meeting_id}", response=AllianceMeetingOut)
def get_meeting(request, meeting_id: int):
    meeting = get_scoped(request, AllianceMeeting, pk=meeting_id)
    return _meetings(AllianceMeeting.objects.filter(pk=meeting.pk)).get()


# Writes --------------------------------------------------------------------------------------------------

@router.post("/alliances", response={201: AllianceOut})
def create_alliance(request, payload: AllianceIn):
    user = acting_user(request)
    region = Region.objects.restrict(user, Action.CHANGE).filter(code=payload.region).first()
    if region is None:
        raise ValidationError({"region": f"没有区域 {payload.region!r}，或不在您的数据范围内"})
    alliance = services.create_alliance(acting_user=user, name=payload.name, region=region, founded_on=payload.founded_on,
                                        description=payload.description)
    return Status(201, alliance)


@router.post("/alliances/{int:alliance_id}/members", response={201: AllianceMemberOut})
def add_member(request, alliance_id: int, payload: MemberIn):
    alliance = get_scoped(request, Alliance, pk=alliance_id)
    department = organization = None
    if payload.department:
        department = Department.objects.filter(code=payload.department).first()
        if department is None:
            raise ValidationError({"department": f"没有部门 {payload.department!r}"})
    if payload.party_organization:
        organization = PartyOrganization.objects.filter(pk=payload.party_organization).first()
        if organization is None:
            raise ValidationError({"party_organization": f"没有党组织 {payload.party_organization}"})
    member = services.add_member(alliance, acting_user=acting_user(request), department=department, name=payload.name,
                                 party_organization=organization, party_organization_name=payload.party_organization_name,
                                 joined_on=payload.joined_on, contact_name=payload.contact_name, contact_phone=payload.contact_phone,
                                 commitment=payload.commitment)
    return Status(201, member)


@router.post("/members/{int:member_id}/leave", response=AllianceMemberOut)
def leave(request, member_id: int, payload: AllianceLeaveIn):
    member = get_scoped(request, AllianceMember, pk=member_id)
    return services.end_membership(member, acting_user=acting_user(request), left_on=payload.left_on, reason=payload.reason)


@router.post("/alliances/{int:alliance_id}/needs", response={201: NeedOut})
def raise_need(request, alliance_id: int, payload: NeedIn):
    user = acting_user(request)
    alliance = get_scoped(request, Alliance, pk=alliance_id)
    region = Region.objects.restrict(user).filter(code=payload.region).first()
    if region is None:
        raise ValidationError({"region": f"没有区域 {payload.region!r}，或不在您的数据范围内"})
    need = services.raise_need(alliance, acting_user=user, region=region, title=payload.title, description=payload.description,
                               category=payload.category, residents_affected=payload.residents_affected, raised_on=payload.raised_on)
    return Status(201, need)


@router.post("/needs/{int:need_id}/close", response=NeedOut)
def close_need(request, need_id: int, payload: CloseIn):
    need = get_scoped(request, AllianceNeed, pk=need_id)
    return services.close_need(need, acting_user=acting_user(request), reason=payload.reason)


@router.post("/alliances/{int:alliance_id}/resources", response={201: ResourceOut})
def offer_resource(request, alliance_id: int, payload: ResourceIn):
    alliance = get_scoped(request, Alliance, pk=alliance_id)
    resource = services.offer_resource(alliance, acting_user=acting_user(request), unit=_member(alliance, payload.unit, "unit"),
                                       kind=payload.kind, description=payload.description, capacity=payload.capacity,
                                       offered_on=payload.offered_on)
    return Status(201, resource)


@router.post("/alliances/{int:alliance_id}/projects", response={201: AllianceProjectOut})
def create_project(request, alliance_id: int, payload: AllianceProjectIn):
    alliance = get_scoped(request, Alliance, pk=alliance_id)
    project = services.create_project(alliance, _project_input(alliance, payload), acting_user=acting_user(request))
    return Status(201, _projects(AllianceProject.objects.filter(pk=project.pk)).get())


@router.post("/projects/{int:project_id}/milestones", response={201: AllianceMilestoneOut})
def add_milestone(request, project_id: int, payload: AllianceMilestoneIn):
    project = get_scoped(request, AllianceProject, pk=project_id)
    milestone = services.add_milestone(project, acting_user=acting_user(request), title=payload.title, due_on=payload.due_on,
                                       unit=_member(project.alliance, payload.unit, "unit"))
    return Status(201, milestone)


@router.post("/milestones/{int:milestone_id}/done", response=AllianceMilestoneOut)
def milestone_done(request, milestone_id: int, payload: DoneIn):
    milestone = get_scoped(request, AllianceMilestone, pk=milestone_id)
    return services.complete_milestone(milestone, acting_user=acting_user(request), done_on=payload.done_on, note=payload.note)


@router.post("/projects/{int:project_id}/progress", response=AllianceProjectOut)
def set_progress(request, project_id: int, payload: AllianceProgressIn):
    project = get_scoped(request, AllianceProject, pk=project_id)
    services.set_progress(project, acting_user=acting_user(request), progress=payload.progress, note=payload.note)
    return _projects(AllianceProject.objects.filter(pk=project.pk)).get()


@router.post("/projects/{int:project_id}/cancel", response=AllianceProjectOut)
def cancel_project(request, project_id: int, payload: CloseIn):
    project = get_scoped(request, AllianceProject, pk=project_id)
    services.cancel_project(project, acting_user=acting_user(request), reason=payload.reason)
    return _projects(AllianceProject.objects.filter(pk=project.pk)).get()


@router.post("/alliances/{int:alliance_id}/meetings", response={201: AllianceMeetingOut})
def record_meeting(request, alliance_id: int, payload: AllianceMeetingIn):
    """Record a joint meeting; decisions with a `project` create it in the same transaction."""
    alliance = get_scoped(request, Alliance, pk=alliance_id)
    attendees = [_member(alliance, pk, "attendees") for pk in payload.attendees]
    decisions = [services.DecisionInput(text=d.text, project=_project_input(alliance, d.project, f"decisions[{i}].project.") if d.project else None)
                 for i, d in enumerate(payload.decisions, start=1)]
    meeting = services.record_meeting(alliance, acting_user=acting_user(request), held_on=payload.held_on, topic=payload.topic,
                                      minutes=payload.minutes, place=payload.place, attendees=attendees, decisions=decisions)
    return Status(201, _meetings(AllianceMeeting.objects.filter(pk=meeting.pk)).get())

