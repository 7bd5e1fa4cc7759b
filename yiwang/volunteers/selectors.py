"""Reads of this app: hours and points per person, figures of a registration, what a member sees on
their phone page, posts with their places left, evaluations per party organization.

`hours_by_person` is the shared contract other apps (assessment, honours) read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from . import rules
from .models import (
    ACTIVE_REGISTRATION,
    HOLDING_PLACE,
    ClaimRole,
    ClaimStatus,
    Evaluation,
    Registration,
    RegistrationStatus,
    ServicePost,
    ServiceTask,
    TaskClaim,
    TaskStatus,
    Volunteer,
)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def hours_by_person(*, region_path: str, since: datetime, until: datetime) -> dict[int, float]:
    """Recorded service hours per registry.Person id, for completed claims of tasks under
    `region_path` that started in [since, until) (party members and volunteers alike)."""
    rows = (TaskClaim.objects.filter(status=ClaimStatus.COMPLETED, task__region__path__startswith=region_path,
                                     task__starts_at__gte=since, task__starts_at__lt=until)
            .order_by().values("person_id").annotate(total=Sum("hours")))
    return {row["person_id"]: float(row["total"] or 0) for row in rows}


def person_year_figures(person_id: int, year: int, *, role: str | None = None, community_id: int | None = None) -> dict:
    """Tasks completed, hours and points of one person in one calendar year (by task start)."""
    since, until = _year_bounds(year)
    claims = TaskClaim.objects.filter(person_id=person_id, status=ClaimStatus.COMPLETED, task__starts_at__gte=since,
                                      task__starts_at__lt=until)
    if role:
        claims = claims.filter(role=role)
    if community_id:
        claims = claims.filter(task__community_id=community_id)
    totals = claims.aggregate(tasks=Count("id"), hours=Sum("hours"), points=Sum("points"))
    return {"tasks": totals["tasks"] or 0, "hours": totals["hours"] or Decimal("0.0"), "points": totals["points"] or 0}


def registration_figures(registration: Registration) -> dict:
    """What a member did for this registration: their claims as a party member of its year."""
    totals = (TaskClaim.objects.filter(registration=registration, status=ClaimStatus.COMPLETED)
              .aggregate(tasks=Count("id"), hours=Sum("hours"), points=Sum("points")))
    return {"tasks": totals["tasks"] or 0, "hours": totals["hours"] or Decimal("0.0"), "points": totals["points"] or 0}


def year_points(person_id: int, year: int) -> int:
    """Points earned by service tasks in the year, the basis of the star rating."""
    return person_year_figures(person_id, year)["points"]


def places_taken(task: ServiceTask) -> int:
    return task.claims.filter(status__in=HOLDING_PLACE).count()


def with_taken(tasks):
    return tasks.annotate(taken=Count("claims", filter=Q(claims__status__in=HOLDING_PLACE)))


def posts_with_usage(community_id: int, year: int):
    """The community's posts, each with `taken` (registrations this year) and `left`."""
    posts = list(ServicePost.objects.filter(community_id=community_id).annotate(
        taken=Count("registrations", filter=Q(registrations__year=year, registrations__status__in=ACTIVE_REGISTRATION))).order_by("title"))
    for post in posts:
        post.left = max(post.capacity - post.taken, 0)
    return posts


@dataclass
class MemberPage:
    """Everything the phone page shows one person."""

    person: object
    year: int
    membership: object | None  # party.PartyMember
    community: object | None
    registration: Registration | None
    volunteer: Volunteer | None
    posts: list = field(default_factory=list)
    open_tasks: list = field(default_factory=list)  # (task, taken, my claim or None)
    my_claims: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    stars: rules.StarRating | None = None
    history: list = field(default_factory=list)  # past registrations with evaluations


def member_page(person, *, now: datetime | None = None) -> MemberPage:
    from yiwang.regions.selectors import community_of

    now = now or timezone.now()
    year = timezone.localtime(now).year
    membership = getattr(person, "party_membership", None)
    community = community_of(person.region)
    registration = (Registration.objects.filter(person=person, year=year).select_related("community", "organization")
                    .prefetch_related("posts").order_by("-registered_at").first())
    volunteer = Volunteer.objects.filter(person=person, community=community, active=True).first() if community else None
    page = MemberPage(person=person, year=year, membership=membership, community=community, registration=registration, volunteer=volunteer)
    if community is not None:
        page.posts = [p for p in posts_with_usage(community.pk, year) if p.active]
        can_claim_as_member = registration is not None and registration.status == RegistrationStatus.CONFIRMED \
            and registration.community_id == community.pk
        tasks = with_taken(ServiceTask.objects.filter(community=community, status=TaskStatus.OPEN, starts_at__gt=now)
                           .select_related("post")).order_by("starts_at")[:50]
        mine = {c.task_id: c for c in TaskClaim.objects.filter(person=person, status__in=HOLDING_PLACE, task__in=[t.pk for t in tasks])}
        for task in tasks:
            if can_claim_as_member or (volunteer is not None and task.open_to_volunteers) or task.pk in mine:
                page.open_tasks.append((task, task.taken, mine.get(task.pk)))
    page.my_claims = list(TaskClaim.objects.filter(person=person).exclude(status=ClaimStatus.WITHDRAWN)
                          .select_related("task").order_by("-task__starts_at")[:30])
    page.figures = person_year_figures(person.pk, year)
    page.stars = rules.star_rating(page.figures["points"])
    page.history = list(Registration.objects.filter(person=person).exclude(pk=getattr(registration, "pk", None))
                        .select_related("community", "evaluation").order_by("-year")[:5])
    return page


def evaluations_for_organization(organization, year: int | None = None):
    """The evaluations sent back to a party organization (its members, whichever community issued them)."""
    qs = Evaluation.objects.filter(organization=organization).select_related(
        "registration__person", "registration__community", "organization").order_by("-year", "registration__person__name")
    if year:
        qs = qs.filter(year=year)
    return qs


def evaluation_visible(user, evaluation: Evaluation) -> bool:
    """The issuing community's staff, or staff over the member's own party organization."""
    from yiwang.party.models import PartyOrganization

    return (Evaluation.objects.restrict(user).filter(pk=evaluation.pk).exists()
            or PartyOrganization.objects.restrict(user).filter(pk=evaluation.organization_id).exists())


def role_label(role: str) -> str:
    return ClaimRole(role).label
