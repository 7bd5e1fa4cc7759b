"""Every write of this app: service posts, dual check-in registrations, volunteers, service tasks
and their claims, the record of who served, and the yearly evaluation.

Rules kept here:
- Only in-service party members (`in_service=True`) check in, with the community they live in, at
  most one pending or confirmed registration per member per year (member row locked, and a
  conditional unique constraint behind it).
- A post takes at most `capacity` registrations a year; a task at most `places` claims. The post
  rows (in id order) or the task row are locked before counting, so two people taking the last
  place at once get one place and one refusal.
- Only a confirmed member of the task's community (for the task's year) or an active volunteer of
  that community (when the task is open to volunteers) may claim; once per task.
- Recording a task's completion settles every claim at once (hours or absent) and grants the points
  through the points bank in the same transaction: nothing is half-written.
- Residents act for themselves only (their `user.person`); staff act inside their scope.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.scope import Action, is_resident, require
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.party.models import PartyMember
from yiwang.regions.models import Region
from yiwang.regions.selectors import community_of

from . import rules
from .models import (
    ACTIVE_REGISTRATION,
    HOLDING_PLACE,
    ClaimRole,
    ClaimStatus,
    Evaluation,
    Grade,
    PostKind,
    Registration,
    RegistrationStatus,
    ServicePost,
    ServiceTask,
    TaskClaim,
    TaskStatus,
    Volunteer,
)

MAX_PLACES = 500
MAX_HOURS = Decimal(24)
MAX_COMMENT = 1000
POINTS_SOURCE = "volunteers"

# A dual check-in registration: posts chosen while pending or confirmed; the community confirms or
# sends it back, the member may withdraw it while pending; only a confirmed one is evaluated.
REGISTRATION_MACHINE = StateMachine([
    Transition("choose_posts", ACTIVE_REGISTRATION, None),
    Transition("confirm", RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED, stamp="decided_at"),
    Transition("reject", RegistrationStatus.PENDING, RegistrationStatus.REJECTED, stamp="decided_at"),
    Transition("withdraw", RegistrationStatus.PENDING, RegistrationStatus.WITHDRAWN),
    Transition("evaluate", RegistrationStatus.CONFIRMED, None),
])
# A service task is claimed while open, then cancelled or closed with each claim's outcome.
TASK_MACHINE = StateMachine([
    Transition("claim", TaskStatus.OPEN, None),
    Transition("cancel", TaskStatus.OPEN, TaskStatus.CANCELLED),
    Transition("complete", TaskStatus.OPEN, TaskStatus.CLOSED, stamp="closed_at"),
])
CLAIM_MACHINE = StateMachine([
    Transition("withdraw", ClaimStatus.CLAIMED, ClaimStatus.WITHDRAWN),
    Transition("complete", ClaimStatus.CLAIMED, ClaimStatus.COMPLETED, stamp="recorded_at"),
    Transition("absent", ClaimStatus.CLAIMED, ClaimStatus.ABSENT, stamp="recorded_at"),
])
# The bank and its dimension for each role. The points follow this app's own rule (rules.py, 10 an
# hour), so no bank rule code is named; the entry's evidence points back at the claim.
BANK_FOR_ROLE = {ClaimRole.PARTY_MEMBER: ("party_member", "dual_checkin"), ClaimRole.VOLUNTEER: ("volunteer", "service")}


# Helpers -----------------------------------------------------------------------------------------

def _act_for_person(user, person, region_path: str) -> None:
    """A resident acts only for their own registry row; staff need CHANGE at `region_path`."""
    if is_resident(user):
        if getattr(user, "person_id", None) is None or user.person_id != person.pk:
            raise PermissionDenied(gettext("居民只能为本人办理"))
        return
    require(user, Action.CHANGE, region_path)


def _year_of(moment: datetime) -> int:
    return timezone.localtime(moment).year


def _hours(value, field: str) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: "请填写服务时长（小时，可保留一位小数）"}) from None
    if hours <= 0 or hours > MAX_HOURS:
        raise ValidationError({field: f"服务时长须大于0且不超过{MAX_HOURS}小时"})
    return hours


def _text(value, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}"})
    if len(text) > max_length:
        raise ValidationError({field: f"{label}不能超过{max_length}字"})
    return text


# Posts -------------------------------------------------------------------------------------------

def create_post(*, acting_user, region: Region, title: str, capacity: int, kind: str = PostKind.OTHER, description: str = "") -> ServicePost:
    if region is None:
        raise ValidationError({"region": "请选择岗位所属社区"})
    require(acting_user, Action.CHANGE, region.path)
    community = community_of(region)
    if community is None:
        raise ValidationError({"region": "岗位须设在社区或社区内的网格"})
    title = _text(title, "title", "岗位名称", 100)
    if kind not in PostKind.values:
        raise ValidationError({"kind": f"未知的岗位类别：{kind}"})
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_PLACES:
        raise ValidationError({"capacity": f"名额须为1到{MAX_PLACES}之间的整数"})
    with transaction.atomic():
        if ServicePost.objects.filter(community=community, title=title).exists():
            raise ValidationError({"title": f"{community.name}已有岗位“{title}”"})
        post = ServicePost.objects.create(region=region, community=community, title=title, kind=kind, capacity=capacity,
                                          description=(description or "").strip())
        audit.record(actor=acting_user, action="volunteers.post.create", target=post, detail={"title": title, "capacity": capacity})
    return post


def set_post_active(post: ServicePost, *, acting_user, active: bool) -> ServicePost:
    with transaction.atomic():
        locked = ServicePost.objects.select_for_update().get(pk=post.pk)
        require(acting_user, Action.CHANGE, locked.region.path)
        locked.active = bool(active)
        locked.save(update_fields=["active"])
        audit.record(actor=acting_user, action="volunteers.post.active", target=locked, detail={"active": locked.active})
    return locked


def _check_posts(posts, *, community: Region, year: int, exclude_registration: int | None = None) -> list[ServicePost]:
    """Lock the chosen posts (id order, so two registrations cannot deadlock) and check each has a
    place left this year."""
    try:
        ids = sorted({p.pk if isinstance(p, ServicePost) else int(p) for p in posts or ()})
    except (TypeError, ValueError):
        raise ValidationError({"posts": "所选岗位不存在"}) from None
    locked = list(ServicePost.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(locked) != len(ids):
        raise ValidationError({"posts": "所选岗位不存在"})
    for post in locked:
        if post.community_id != community.pk:
            raise ValidationError({"posts": f"岗位“{post.title}”不属于{community.name}"})
        if not post.active:
            raise ValidationError({"posts": f"岗位“{post.title}”暂不开放认领"})
        taken = post.registrations.filter(year=year, status__in=ACTIVE_REGISTRATION).exclude(pk=exclude_registration).count()
        if taken >= post.capacity:
            raise ValidationError({"posts": f"岗位“{post.title}”{year}年度名额（{post.capacity}人）已满"})
    return locked


# Registrations -----------------------------------------------------------------------------------

def register_member(*, member: PartyMember | int, acting_user, posts=(), note: str = "", year: int | None = None,
                    now: datetime | None = None) -> Registration:
    """An in-service member checks in with the community they live in (pending until confirmed)."""
    now = now or timezone.now()
    year = year or _year_of(now)
    note = _text(note, "note", "特长/说明", 200, required=False)
    try:
        with transaction.atomic():
            # Locked, so the same member registering twice at once gets one registration.
            locked = PartyMember.objects.select_for_update().get(pk=member.pk if isinstance(member, PartyMember) else member)
            person = locked.person
            if not locked.in_service:
                raise ValidationError({"member": f"{person.name}不是在职党员，双报到只面向在职党员"})
            community = community_of(person.region)
            if community is None:
                raise ValidationError({"member": f"{person.name}的居住地不在任何社区，无法报到"})
            _act_for_person(acting_user, person, person.region.path)
            if year < _year_of(now):
                raise ValidationError({"year": "不能为已过去的年度报到"})
            if year > _year_of(now) + 1:
                raise ValidationError({"year": "只能为本年度或下一年度报到"})
            existing = Registration.objects.filter(member=locked, year=year, status__in=ACTIVE_REGISTRATION).first()
            if existing is not None:
                raise ValidationError({"year": f"{person.name}{year}年度已向{existing.community.name}报到"
                                               f"（{existing.get_status_display()}），每年只能报到一次"})
            chosen = _check_posts(posts, community=community, year=year)
            registration = Registration.objects.create(
                member=locked, person=person, region=person.region, community=community, organization=locked.organization,
                work_unit=locked.work_unit, year=year, note=note, registered_at=now, registered_by=audit.account(acting_user))
            registration.posts.set(chosen)
            audit.record(actor=acting_user, action="volunteers.registration.create", target=registration,
                         detail={"member": locked.pk, "year": year, "posts": [p.pk for p in chosen]})
    except IntegrityError:
        # The unique constraint caught a race the lock did not (it cannot on SQLite's single writer).
        raise ValidationError({"year": "本年度已报到，每年只能报到一次"}) from None
    return registration


def _locked_registration(registration: Registration | int) -> Registration:
    pk = registration.pk if isinstance(registration, Registration) else registration
    return Registration.objects.select_for_update().get(pk=pk)


def set_posts(registration: Registration, *, acting_user, posts) -> Registration:
    """Change the posts a pending or confirmed registration has picked."""
    with transaction.atomic():
        locked = _locked_registration(registration)
        _act_for_person(acting_user, locked.person, locked.region.path)
        REGISTRATION_MACHINE.move(locked, "choose_posts", otherwise=ValidationError(
            {"status": f"登记{locked.get_status_display()}，不能再选岗位"}))
        chosen = _check_posts(posts, community=locked.community, year=locked.year, exclude_registration=locked.pk)
        locked.posts.set(chosen)
        audit.record(actor=acting_user, action="volunteers.registration.posts", target=locked, detail={"posts": [p.pk for p in chosen]})
    return locked


def confirm_registration(registration: Registration | int, *, acting_user, now: datetime | None = None) -> Registration:
    with transaction.atomic():
        locked = _locked_registration(registration)
        require(acting_user, Action.CHANGE, locked.region.path)
        REGISTRATION_MACHINE.apply(locked, "confirm", now or timezone.now(), otherwise=ValidationError(
            {"status": f"登记{locked.get_status_display()}，不能确认"}))
        locked.decided_by = audit.account(acting_user)
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        audit.record(actor=acting_user, action="volunteers.registration.confirm", target=locked)
    return locked


def reject_registration(registration: Registration | int, *, acting_user, reason: str, now: datetime | None = None) -> Registration:
    reason = _text(reason, "reason", "退回原因", 200)
    with transaction.atomic():
        locked = _locked_registration(registration)
        require(acting_user, Action.CHANGE, locked.region.path)
        REGISTRATION_MACHINE.apply(locked, "reject", now or timezone.now(), otherwise=ValidationError(
            {"status": f"登记{locked.get_status_display()}，不能退回"}))
        locked.reject_reason = reason
        locked.decided_by = audit.account(acting_user)
        locked.save(update_fields=["status", "reject_reason", "decided_at", "decided_by"])
        audit.record(actor=acting_user, action="volunteers.registration.reject", target=locked, detail={"reason": reason})
    return locked


def withdraw_registration(registration: Registration | int, *, acting_user) -> Registration:
    """A member takes back a registration the community has not yet confirmed."""
    with transaction.atomic():
        locked = _locked_registration(registration)
        _act_for_person(acting_user, locked.person, locked.region.path)
        REGISTRATION_MACHINE.apply(locked, "withdraw", otherwise=ValidationError(
            {"status": f"登记{locked.get_status_display()}，只有待确认的登记可以撤回"}))
        locked.save(update_fields=["status"])
        audit.record(actor=acting_user, action="volunteers.registration.withdraw", target=locked)
    return locked


# Volunteers --------------------------------------------------------------------------------------

def register_volunteer(*, person, acting_user, skills: str = "", now: datetime | None = None) -> Volunteer:
    """A resident joins their community's volunteers (again, if they had left)."""
    skills = _text(skills, "skills", "特长", 200, required=False)
    community = community_of(person.region)
    if community is None:
        raise ValidationError({"person": f"{person.name}的居住地不在任何社区"})
    _act_for_person(acting_user, person, person.region.path)
    try:
        with transaction.atomic():
            volunteer = Volunteer.objects.select_for_update().filter(person=person, community=community).first()
            if volunteer is not None and volunteer.active:
                raise ValidationError({"person": f"{person.name}已是{community.name}的志愿者"})
            if volunteer is None:
                volunteer = Volunteer.objects.create(person=person, region=person.region, community=community, skills=skills,
                                                     registered_at=now or timezone.now(), registered_by=audit.account(acting_user))
            else:
                volunteer.active, volunteer.skills, volunteer.region = True, skills, person.region
                volunteer.save(update_fields=["active", "skills", "region"])
            audit.record(actor=acting_user, action="volunteers.volunteer.register", target=volunteer)
    except IntegrityError:
        raise ValidationError({"person": f"{person.name}已是{community.name}的志愿者"}) from None
    return volunteer


def leave_volunteers(volunteer: Volunteer, *, acting_user) -> Volunteer:
    with transaction.atomic():
        locked = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        _act_for_person(acting_user, locked.person, locked.region.path)
        locked.active = False
        locked.save(update_fields=["active"])
        audit.record(actor=acting_user, action="volunteers.volunteer.leave", target=locked)
    return locked


# Tasks -------------------------------------------------------------------------------------------

def post_task(*, acting_user, region: Region, title: str, starts_at: datetime, ends_at: datetime, places: int, hours,
              post: ServicePost | None = None, description: str = "", location: str = "", open_to_volunteers: bool = True,
              now: datetime | None = None) -> ServiceTask:
    """The community posts a service task for members (and volunteers) to claim."""
    now = now or timezone.now()
    if region is None:
        raise ValidationError({"region": "请选择服务区域"})
    require(acting_user, Action.CHANGE, region.path)
    community = community_of(region)
    if community is None:
        raise ValidationError({"region": "任务须在社区或社区内的网格"})
    title = _text(title, "title", "任务名称", 120)
    location = _text(location, "location", "地点", 200, required=False)
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": "请填写开始时间"})
    if not isinstance(ends_at, datetime) or timezone.is_naive(ends_at):
        raise ValidationError({"ends_at": "请填写结束时间"})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "结束时间须晚于开始时间"})
    if starts_at <= now:
        raise ValidationError({"starts_at": "开始时间须在现在之后"})
    if not isinstance(places, int) or isinstance(places, bool) or not 1 <= places <= MAX_PLACES:
        raise ValidationError({"places": f"名额须为1到{MAX_PLACES}之间的整数"})
    hours = _hours(hours, "hours")
    if post is not None and post.community_id != community.pk:
        raise ValidationError({"post": f"岗位“{post.title}”不属于{community.name}"})
    with transaction.atomic():
        task = ServiceTask.objects.create(region=region, community=community, post=post, title=title, description=(description or "").strip(),
                                          location=location, starts_at=starts_at, ends_at=ends_at, places=places, hours=hours,
                                          open_to_volunteers=bool(open_to_volunteers), created_by=audit.account(acting_user))
        audit.record(actor=acting_user, action="volunteers.task.create", target=task, detail={"title": title, "places": places})
    return task


def _locked_task(task: ServiceTask | int) -> ServiceTask:
    return ServiceTask.objects.select_for_update().get(pk=task.pk if isinstance(task, ServiceTask) else task)


def cancel_task(task: ServiceTask | int, *, acting_user, reason: str) -> ServiceTask:
    reason = _text(reason, "reason", "取消原因", 200)
    with transaction.atomic():
        locked = _locked_task(task)
        require(acting_user, Action.CHANGE, locked.region.path)
        TASK_MACHINE.apply(locked, "cancel", otherwise=ValidationError({"status": f"任务{locked.get_status_display()}，不能取消"}))
        locked.cancel_reason = reason
        locked.save(update_fields=["status", "cancel_reason"])
        locked.claims.filter(status=ClaimStatus.CLAIMED).update(status=ClaimStatus.WITHDRAWN)
        audit.record(actor=acting_user, action="volunteers.task.cancel", target=locked, detail={"reason": reason})
    return locked


def standing_for(person, task: ServiceTask) -> tuple[str, Registration | None, Volunteer | None] | None:
    """Why `person` may claim `task`: a confirmed registration with its community for the task's
    year (as a party member), else an active volunteer row there (if the task takes volunteers)."""
    registration = Registration.objects.filter(person=person, community_id=task.community_id, year=_year_of(task.starts_at),
                                               status=RegistrationStatus.CONFIRMED).first()
    if registration is not None:
        return ClaimRole.PARTY_MEMBER, registration, None
    if task.open_to_volunteers:
        volunteer = Volunteer.objects.filter(person=person, community_id=task.community_id, active=True).first()
        if volunteer is not None:
            return ClaimRole.VOLUNTEER, None, volunteer
    return None


def claim_task(*, task: ServiceTask | int, person, acting_user, now: datetime | None = None) -> TaskClaim:
    """Take one of the task's places; the task row is locked while the places are counted."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = _locked_task(task)
            _act_for_person(acting_user, person, locked.region.path)
            TASK_MACHINE.move(locked, "claim", otherwise=ValidationError({"task": f"任务{locked.get_status_display()}，不能认领"}))
            if now >= locked.starts_at:
                raise ValidationError({"task": "任务已开始，不能再认领"})
            standing = standing_for(person, locked)
            if standing is None:
                who = "本社区已确认的双报到党员或在册志愿者" if locked.open_to_volunteers else "本社区已确认的双报到党员"
                raise ValidationError({"person": f"{person.name}不能认领：此任务只面向{who}"})
            if locked.claims.filter(person=person, status__in=HOLDING_PLACE).exists():
                raise ValidationError({"task": f"{person.name}已认领此任务"})
            taken = locked.claims.filter(status__in=HOLDING_PLACE).count()
            if taken >= locked.places:
                raise ValidationError({"task": f"任务名额（{locked.places}人）已满"})
            role, registration, volunteer = standing
            claim = TaskClaim.objects.create(task=locked, person=person, role=role, registration=registration, volunteer=volunteer,
                                             claimed_at=now, claimed_by=audit.account(acting_user))
            audit.record(actor=acting_user, action="volunteers.task.claim", target=claim, detail={"task": locked.pk, "person": person.pk})
    except IntegrityError:
        raise ValidationError({"task": f"{person.name}已认领此任务"}) from None
    return claim


def withdraw_claim(claim: TaskClaim | int, *, acting_user, now: datetime | None = None) -> TaskClaim:
    now = now or timezone.now()
    with transaction.atomic():
        pk = claim.pk if isinstance(claim, TaskClaim) else claim
        task = _locked_task(TaskClaim.objects.values_list("task_id", flat=True).get(pk=pk))
        locked = TaskClaim.objects.select_for_update().get(pk=pk)
        _act_for_person(acting_user, locked.person, task.region.path)
        withdraw = CLAIM_MACHINE.move(locked, "withdraw", otherwise=ValidationError(
            {"status": f"认领{locked.get_status_display()}，不能退出"}))
        if now >= task.starts_at:
            raise ValidationError({"task": "任务已开始，不能退出，请联系社区"})
        CLAIM_MACHINE.apply(locked, withdraw)
        locked.save(update_fields=["status"])
        audit.record(actor=acting_user, action="volunteers.task.withdraw", target=locked)
    return locked


def points_per_hour() -> int:
    """The hourly rate of service points: the volunteer bank's rule "vs_hour" (edited with the
    bank's rules), or the default when that rule is missing or switched off."""
    from yiwang.pointsbank.models import Rule

    rate = Rule.objects.filter(bank__code="volunteer", code="vs_hour", active=True).values_list("points", flat=True).first()
    return rate if rate and rate > 0 else rules.POINTS_PER_HOUR


def _grant(claim: TaskClaim, *, acting_user) -> int:
    """Put the claim's points in the person's points bank; returns the ledger entry's id."""
    from yiwang.pointsbank.services import grant_points

    task = claim.task
    bank_code, dimension_code = BANK_FOR_ROLE[claim.role]
    entry = grant_points(bank_code=bank_code, person=claim.person, points=claim.points,
                         reason=f"{task.community.name}服务任务“{task.title}”{claim.hours}小时", acting_user=acting_user,
                         evidence=f"volunteers.taskclaim:{claim.pk}（任务#{task.pk}，{timezone.localtime(task.starts_at):%Y-%m-%d}，"
                                  f"每小时{points_per_hour()}分）",
                         source=POINTS_SOURCE, dimension_code=dimension_code)
    return entry.pk


def record_completion(task: ServiceTask | int, *, acting_user, outcomes: dict, now: datetime | None = None) -> list[TaskClaim]:
    """Settle every open claim of the task: `outcomes` maps claim id to the hours served, or None for
    absent. Completed claims earn points (rules.points_for_hours) in the points bank. The task closes."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_task(task)
        require(acting_user, Action.CHANGE, locked.region.path)
        complete = TASK_MACHINE.move(locked, "complete", otherwise=ValidationError(
            {"status": f"任务{locked.get_status_display()}，不能登记"}))
        if now < locked.starts_at:
            raise ValidationError({"task": "任务开始后才能登记完成情况"})
        open_claims = list(locked.claims.select_for_update().filter(status=ClaimStatus.CLAIMED).order_by("pk"))
        given = {int(k): v for k, v in (outcomes or {}).items()}
        unknown = set(given) - {c.pk for c in open_claims}
        if unknown:
            raise ValidationError({"claims": f"认领记录{sorted(unknown)[0]}不属于此任务或已登记"})
        settled = []
        per_hour = points_per_hour()
        for claim in open_claims:
            if claim.pk not in given:
                raise ValidationError({"claims": f"请登记{claim.person.name}的服务时长或未到岗"})
            hours = given[claim.pk]
            claim.recorded_by = audit.account(acting_user)
            if isinstance(hours, str) and not hours.strip():
                # An emptied field is not a decision: absence must be chosen, hours must be given.
                raise ValidationError({"claims": f"请登记{claim.person.name}的服务时长或未到岗"})
            if hours is None:
                CLAIM_MACHINE.apply(claim, "absent", now)
                claim.save(update_fields=["status", "recorded_at", "recorded_by"])
            else:
                claim.hours = _hours(hours, "claims")
                claim.points = rules.points_for_hours(claim.hours, per_hour=per_hour)
                CLAIM_MACHINE.apply(claim, "complete", now)
                claim.save(update_fields=["status", "hours", "points", "recorded_at", "recorded_by"])
                try:
                    claim.ledger_entry_id = _grant(claim, acting_user=acting_user)
                except ValidationError as exc:
                    detail = "；".join(m for messages in getattr(exc, "message_dict", {"": exc.messages}).values() for m in messages)
                    raise ValidationError({"claims": f"{claim.person.name}的积分未能记入积分银行：{detail}"}) from None
                claim.save(update_fields=["ledger_entry_id"])
            settled.append(claim)
        TASK_MACHINE.apply(locked, complete, now)
        locked.save(update_fields=["status", "closed_at"])
        audit.record(actor=acting_user, action="volunteers.task.complete", target=locked,
                     detail={"completed": [c.pk for c in settled if c.status == ClaimStatus.COMPLETED],
                             "absent": [c.pk for c in settled if c.status == ClaimStatus.ABSENT]})
    return settled


# Evaluations -------------------------------------------------------------------------------------

def issue_evaluation(registration: Registration | int, *, acting_user, grade: str, comment: str,
                     now: datetime | None = None) -> Evaluation:
    """The community's yearly evaluation of a confirmed member, with the year's figures as they
    stand now; issuing again revises grade, comment and figures (and says so)."""
    from .selectors import registration_figures

    now = now or timezone.now()
    if grade not in Grade.values:
        raise ValidationError({"grade": "请选择评价等次（优秀、合格、基本合格、不合格）"})
    comment = _text(comment, "comment", "评语", MAX_COMMENT)
    with transaction.atomic():
        locked = _locked_registration(registration)
        require(acting_user, Action.CHANGE, locked.region.path)
        REGISTRATION_MACHINE.move(locked, "evaluate", otherwise=ValidationError(
            {"status": f"登记{locked.get_status_display()}，只能评价已确认的报到党员"}))
        figures = registration_figures(locked)
        values = {"organization_id": locked.organization_id, "year": locked.year, "grade": grade, "comment": comment,
                  "tasks": figures["tasks"], "hours": figures["hours"], "points": figures["points"],
                  "stars": rules.star_rating(figures["points"]).stars}
        evaluation = Evaluation.objects.select_for_update().filter(registration=locked).first()
        if evaluation is None:
            evaluation = Evaluation.objects.create(registration=locked, issued_at=now, issued_by=audit.account(acting_user), **values)
            action = "volunteers.evaluation.issue"
        else:
            for name, value in values.items():
                setattr(evaluation, name, value)
            evaluation.revised_at = now
            evaluation.save()
            action = "volunteers.evaluation.revise"
        audit.record(actor=acting_user, action=action, target=evaluation,
                     detail={"grade": grade, "tasks": figures["tasks"], "hours": str(figures["hours"]), "points": figures["points"]})
    return evaluation
