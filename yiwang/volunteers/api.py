"""Dual check-in and volunteer service over JSON, within the caller's scope. Writes go through the
services, so the rules (one registration a year, places, standing to claim) hold here as on the
pages. Residents use `/me`, `POST /registrations` (for themselves), `POST /volunteers`,
`POST /tasks/{id}/claim` and `POST /claims/{id}/withdraw` without naming a person."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import MAX_YEAR, MIN_YEAR, Count, Id, IdQuery, Moment, Page, Year
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action, is_resident, require
from yiwang.exports.api import ExportOut, accepted
from yiwang.exports.services import request_export
from yiwang.party.models import PartyMember, PartyOrganization
from yiwang.regions.models import Region
from yiwang.registry.models import Person

from . import selectors, services
from .models import (
    Evaluation,
    Registration,
    ServicePost,
    ServiceTask,
    TaskClaim,
    Volunteer,
)

router = Router(tags=["volunteers"])


# Schemas -----------------------------------------------------------------------------------------

class PostOut(Schema):
    id: int
    community_code: str
    community_name: str
    region_code: RegionCode
    title: str
    kind: str
    capacity: int
    description: str
    active: bool

    @staticmethod
    def resolve_community_code(obj):
        return obj.community.code

    @staticmethod
    def resolve_community_name(obj):
        return obj.community.name


class ServicePostIn(Schema):
    region: str
    title: str
    capacity: Count
    kind: str = "other"
    description: str = ""


class VolunteerRegistrationOut(Schema):
    id: int
    member_id: int
    person_id: int
    person_name: str
    community_code: str
    organization_id: int
    organization_name: str
    work_unit: str
    year: int
    status: str
    posts: list[int]
    note: str
    registered_at: datetime
    decided_at: datetime | None
    reject_reason: str

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.name

    @staticmethod
    def resolve_community_code(obj):
        return obj.community.code

    @staticmethod
    def resolve_organization_name(obj):
        return obj.organization.name

    @staticmethod
    def resolve_posts(obj):
        return sorted(p.pk for p in obj.posts.all())


class VolunteerRegistrationIn(Schema):
    member_id: Id | None = None  # staff name the member; a resident registers themselves
    posts: list[Id] = []
    note: str = ""
    year: Year | None = None


class PostsIn(Schema):
    posts: list[Id]


class VolunteerReasonIn(Schema):
    reason: str


class VolunteerOut(Schema):
    id: int
    person_id: int
    person_name: str
    community_code: str
    skills: str
    active: bool
    registered_at: datetime

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.name

    @staticmethod
    def resolve_community_code(obj):
        return obj.community.code


class VolunteerIn(Schema):
    person_id: Id | None = None
    skills: str = ""


class TaskOut(Schema):
    id: int
    community_code: str
    region_code: RegionCode
    post_id: int | None
    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    places: int
    taken: int
    hours: Decimal
    open_to_volunteers: bool
    status: str
    cancel_reason: str

    @staticmethod
    def resolve_community_code(obj):
        return obj.community.code

    @staticmethod
    def resolve_taken(obj):
        return getattr(obj, "taken", None) if getattr(obj, "taken", None) is not None else selectors.places_taken(obj)


class TaskIn(Schema):
    region: str
    title: str
    starts_at: Moment
    ends_at: Moment
    places: Count
    hours: Decimal
    post_id: Id | None = None
    description: str = ""
    location: str = ""
    open_to_volunteers: bool = True


class TaskClaimIn(Schema):
    person_id: Id | None = None


class CompleteIn(Schema):
    # claim id -> hours served, or null for absent
    outcomes: dict[Id, Decimal | None]


class ClaimOut(Schema):
    id: int
    task_id: int
    person_id: int
    person_name: str
    role: str
    status: str
    claimed_at: datetime
    hours: Decimal | None
    points: int
    ledger_entry_id: int | None

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.name


class EvaluationIn(Schema):
    grade: str
    comment: str


class VolunteerEvaluationOut(Schema):
    id: int
    registration_id: int
    person_name: str
    community_code: str
    organization_id: int
    organization_name: str
    year: int
    grade: str
    grade_label: str
    comment: str
    tasks: int
    hours: Decimal
    points: int
    stars: int
    issued_at: datetime
    revised_at: datetime | None

    @staticmethod
    def resolve_person_name(obj):
        return obj.registration.person.name

    @staticmethod
    def resolve_community_code(obj):
        return obj.registration.community.code

    @staticmethod
    def resolve_organization_name(obj):
        return obj.organization.name

    @staticmethod
    def resolve_grade_label(obj):
        return obj.get_grade_display()


# Helpers -----------------------------------------------------------------------------------------

def _region(request, code: str) -> Region:
    region = Region.objects.restrict(acting_user(request)).filter(code=code).first()
    if region is None:
        raise ValidationError({"region": gettext("没有区域“%(region)s”，或不在您的数据范围内") % {"region": code}})
    return region


def _person(request, person_id: int | None) -> Person:
    """The person a write is for: the resident themselves, or a person in the staff user's scope."""
    user = acting_user(request)
    if is_resident(user) or person_id is None:
        if user.person is None:
            raise ValidationError({"person_id": "请先到社区登记本人信息" if is_resident(user) else "请指明人员"})
        if person_id is not None and person_id != user.person_id:
            raise PermissionDenied(gettext("居民只能为本人办理"))
        return user.person
    person = Person.objects.restrict(user).filter(pk=person_id).first()
    if person is None:
        raise ValidationError({"person_id": gettext("没有编号为%(id)s的人员，或不在您的数据范围内") % {"id": person_id}})
    return person


# Posts -------------------------------------------------------------------------------------------

@router.get("/posts", response=list[PostOut])
@paginate(Page)
def list_posts(request, region: str | None = None):
    return under_region(scoped(request, ServicePost).select_related("community", "region"), region).order_by("community__path", "title")


@router.get("/posts/{int:post_id}", response=PostOut)
def get_post(request, post_id: int):
    return get_scoped(request, ServicePost, pk=post_id)


@router.post("/posts", response={201: PostOut})
def create_post(request, payload: ServicePostIn):
    data = payload.dict()
    data["region"] = _region(request, data["region"])
    return Status(201, services.create_post(acting_user=acting_user(request), **data))


# Registrations -----------------------------------------------------------------------------------

@router.get("/registrations", response=list[VolunteerRegistrationOut])
@paginate(Page)
def list_registrations(request, year: int | None = Query(None, ge=MIN_YEAR, le=MAX_YEAR), status: str | None = None, region: str | None = None):
    qs = under_region(scoped(request, Registration).select_related("person", "community", "organization").prefetch_related("posts"), region)
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-year", "id")


@router.get("/registrations/{int:registration_id}", response=VolunteerRegistrationOut)
def get_registration(request, registration_id: int):
    return get_scoped(request, Registration, pk=registration_id)


@router.post("/registrations", response={201: VolunteerRegistrationOut})
def register(request, payload: VolunteerRegistrationIn):
    user = acting_user(request)
    if payload.member_id is None or is_resident(user):
        person = _person(request, None)
        member = PartyMember.objects.filter(person=person).first()
        if member is None:
            raise ValidationError({"member_id": "您不是党员"})
        if payload.member_id is not None and payload.member_id != member.pk:
            raise PermissionDenied(gettext("居民只能为本人办理"))
    else:
        member = PartyMember.objects.filter(pk=payload.member_id).select_related("person__region").first()
        if member is None or not Person.objects.restrict(user).filter(pk=member.person_id).exists():
            raise ValidationError({"member_id": gettext("没有编号为%(id)s的党员，或不在您的数据范围内") % {"id": payload.member_id}})
    registration = services.register_member(member=member, acting_user=user, posts=payload.posts, note=payload.note, year=payload.year)
    return Status(201, registration)


def _registration_for_write(request, registration_id: int) -> Registration:
    user = acting_user(request)
    if is_resident(user):
        registration = Registration.objects.filter(pk=registration_id, person_id=user.person_id).first() if user.person_id else None
        if registration is None:
            raise Http404(gettext("没有这条报名记录"))
        return registration
    return get_scoped(request, Registration, pk=registration_id)


@router.post("/registrations/{int:registration_id}/confirm", response=VolunteerRegistrationOut)
def confirm(request, registration_id: int):
    return services.confirm_registration(get_scoped(request, Registration, pk=registration_id), acting_user=acting_user(request))


@router.post("/registrations/{int:registration_id}/reject", response=VolunteerRegistrationOut)
def reject(request, registration_id: int, payload: VolunteerReasonIn):
    return services.reject_registration(get_scoped(request, Registration, pk=registration_id), acting_user=acting_user(request),
                                        reason=payload.reason)


@router.post("/registrations/{int:registration_id}/withdraw", response=VolunteerRegistrationOut)
def withdraw(request, registration_id: int):
    return services.withdraw_registration(_registration_for_write(request, registration_id), acting_user=acting_user(request))


@router.put("/registrations/{int:registration_id}/posts", response=VolunteerRegistrationOut)
def set_posts(request, registration_id: int, payload: PostsIn):
    return services.set_posts(_registration_for_write(request, registration_id), acting_user=acting_user(request), posts=payload.posts)


@router.post("/registrations/{int:registration_id}/evaluation", response={201: VolunteerEvaluationOut})
def issue_evaluation(request, registration_id: int, payload: EvaluationIn):
    registration = get_scoped(request, Registration, pk=registration_id)
    return Status(201, services.issue_evaluation(registration, acting_user=acting_user(request), grade=payload.grade, comment=payload.comment))


# Volunteers --------------------------------------------------------------------------------------

@router.get("/volunteers", response=list[VolunteerOut])
@paginate(Page)
def list_volunteers(request, region: str | None = None, active: bool | None = None):
    qs = under_region(scoped(request, Volunteer).select_related("person", "community"), region)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("id")


@router.get("/volunteers/{int:volunteer_id}", response=VolunteerOut)
def get_volunteer(request, volunteer_id: int):
    return get_scoped(request, Volunteer, pk=volunteer_id)


@router.post("/volunteers", response={201: VolunteerOut})
def register_volunteer(request, payload: VolunteerIn):
    person = _person(request, payload.person_id)
    return Status(201, services.register_volunteer(person=person, acting_user=acting_user(request), skills=payload.skills))


# Tasks and claims --------------------------------------------------------------------------------

@router.get("/tasks", response=list[TaskOut])
@paginate(Page)
def list_tasks(request, region: str | None = None, status: str | None = None, upcoming: bool | None = None):
    qs = under_region(scoped(request, ServiceTask).select_related("community", "region"), region)
    if status:
        qs = qs.filter(status=status)
    if upcoming is True:
        qs = qs.filter(starts_at__gt=timezone.now())
    return selectors.with_taken(qs).order_by("starts_at", "id")


@router.get("/tasks/{int:task_id}", response=TaskOut)
def get_task(request, task_id: int):
    return get_scoped(request, ServiceTask, pk=task_id)


@router.post("/tasks", response={201: TaskOut})
def post_task(request, payload: TaskIn):
    data = payload.dict()
    data["region"] = _region(request, data["region"])
    post_id = data.pop("post_id")
    data["post"] = None
    if post_id is not None:
        data["post"] = scoped(request, ServicePost).filter(pk=post_id).first()
        if data["post"] is None:
            raise ValidationError({"post_id": gettext("没有编号为%(id)s的岗位，或不在您的数据范围内") % {"id": post_id}})
    for name in ("starts_at", "ends_at"):
        if timezone.is_naive(data[name]):
            data[name] = timezone.make_aware(data[name])
    return Status(201, services.post_task(acting_user=acting_user(request), **data))


@router.post("/tasks/{int:task_id}/cancel", response=TaskOut)
def cancel_task(request, task_id: int, payload: VolunteerReasonIn):
    return services.cancel_task(get_scoped(request, ServiceTask, pk=task_id), acting_user=acting_user(request), reason=payload.reason)


@router.post("/tasks/{int:task_id}/claim", response={201: ClaimOut})
def claim_task(request, task_id: int, payload: TaskClaimIn):
    """Claim a place: a resident for themselves (any open task of their community), staff for a person in scope."""
    user = acting_user(request)
    task = ServiceTask.objects.filter(pk=task_id).first() if is_resident(user) else get_scoped(request, ServiceTask, pk=task_id)
    if task is None:
        raise Http404(gettext("没有这项任务"))
    person = _person(request, payload.person_id)
    return Status(201, services.claim_task(task=task, person=person, acting_user=user))


@router.post("/tasks/{int:task_id}/complete", response=list[ClaimOut])
def complete_task(request, task_id: int, payload: CompleteIn):
    task = get_scoped(request, ServiceTask, pk=task_id)
    return services.record_completion(task, acting_user=acting_user(request), outcomes=payload.outcomes)


@router.get("/claims", response=list[ClaimOut])
@paginate(Page)
def list_claims(request, task: int | None = IdQuery(), status: str | None = None):
    qs = scoped(request, TaskClaim).select_related("person")
    if task is not None:
        qs = qs.filter(task_id=task)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("task", "claimed_at", "id")


@router.get("/claims/{int:claim_id}", response=ClaimOut)
def get_claim(request, claim_id: int):
    return get_scoped(request, TaskClaim, pk=claim_id)


@router.post("/claims/{int:claim_id}/withdraw", response=ClaimOut)
def withdraw_claim(request, claim_id: int):
    user = acting_user(request)
    if is_resident(user):
        claim = TaskClaim.objects.filter(pk=claim_id, person_id=user.person_id).first() if user.person_id else None
        if claim is None:
            raise Http404(gettext("没有这条认领记录"))
    else:
        claim = get_scoped(request, TaskClaim, pk=claim_id)
    return services.withdraw_claim(claim, acting_user=user)


# Evaluations -------------------------------------------------------------------------------------

@router.get("/evaluations", response=list[VolunteerEvaluationOut])
@paginate(Page)
def list_evaluations(request, year: int | None = Query(None, ge=MIN_YEAR, le=MAX_YEAR), organization: int | None = IdQuery()):
    """Evaluations the caller's scope issued. With `organization` (a party organization in scope):
    every evaluation sent back to it, whichever community issued it."""
    if organization is not None:
        org = PartyOrganization.objects.restrict(acting_user(request)).filter(pk=organization).first()
        if org is None:
            raise ValidationError({"organization": gettext("没有编号为%(id)s的组织，或不在您的数据范围内") % {"id": organization}})
        return selectors.evaluations_for_organization(org, year)
    qs = scoped(request, Evaluation).select_related("registration__person", "registration__community", "organization")
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "id")


@router.get("/evaluations/{int:evaluation_id}", response=VolunteerEvaluationOut)
def get_evaluation(request, evaluation_id: int):
    return get_scoped(request, Evaluation, pk=evaluation_id)


@router.post("/evaluations/{int:evaluation_id}/docx", response={202: ExportOut})
def evaluation_docx(request, evaluation_id: int):
    """Queue the evaluation as .docx (a background export): 202 with the job; poll its `url` until
    `file_url` is set."""
    evaluation = get_scoped(request, Evaluation, pk=evaluation_id)
    return accepted(request_export(kind="volunteers.evaluation", params={"evaluation": evaluation.pk}, acting_user=acting_user(request)))


# People ------------------------------------------------------------------------------------------

@router.get("/me")
def me(request):
    """The caller's own record: registration, volunteer standing, this year's figures and stars."""
    user = acting_user(request)
    if user.person is None:
        raise ValidationError({"person": "请先到社区登记本人信息"})
    page = selectors.member_page(user.person)
    registration = page.registration
    return {
        "person_id": user.person.pk, "year": page.year, "community_code": page.community.code if page.community else None,
        "registration": None if registration is None else {"id": registration.pk, "status": registration.status,
                                                           "posts": sorted(p.pk for p in registration.posts.all())},
        "volunteer": page.volunteer is not None,
        "tasks": page.figures["tasks"], "hours": float(page.figures["hours"]), "points": page.figures["points"],
        "stars": page.stars.stars, "stars_explanation": page.stars.explanation,
        "claimable_tasks": [{"id": t.pk, "title": t.title, "starts_at": t.starts_at, "places": t.places, "taken": taken,
                             "claimed": claim is not None} for t, taken, claim in page.open_tasks],
    }


@router.get("/hours")
def hours(request, region: str, since: datetime, until: datetime):
    """Recorded hours per person under a region in scope (the hours_by_person contract), for the
    persons the registry's rules let the caller see (need to know for departments, sensitive groups
    only with the permission); the others are left out, not listed without a name. The region rule
    is the tasks' (as for claims): a volunteer living elsewhere who served here is listed."""
    from yiwang.registry.access import limit_persons

    user = acting_user(request)
    target = _region(request, region)
    require(user, Action.VIEW, target.path)
    totals = selectors.hours_by_person(region_path=target.path, since=since, until=until)
    names = dict(limit_persons(Person.objects.filter(pk__in=totals), user).values_list("pk", "name"))
    return [{"person_id": pk, "name": names[pk], "hours": value} for pk, value in sorted(totals.items()) if pk in names]
