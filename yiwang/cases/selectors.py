"""Reads for cases: inboxes, timelines for residents, yearly summons counts."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractYear

from yiwang.core.scope import Role, scope_path
from yiwang.regions.models import ancestor_paths

from .models import Case, CaseEvent, Level, Status
from .permissions import COORDINATOR_ROLES, HANDLER_ROLE, SUPERVISOR_ROLES

COORDINATOR_STATUSES = [Status.REPORTED, Status.ACCEPTED, Status.HANDLED, Status.VERIFIED]
HANDLER_STATUSES = [Status.DISPATCHED, Status.SIGNED]
HANDLER_ROLE_LEVEL = {role: level for level, role in HANDLER_ROLE.items()}



def inbox(user) -> QuerySet:
    """What the user must act on next (accept, dispatch, sign, handle, verify, close), overdue first."""
    path = scope_path(user)
    if path is None:
        return Case.objects.none()
    wanted = Q(pk__in=[])
    if user.is_superuser or user.role in COORDINATOR_ROLES:
        coordinated = (Q(status__in=COORDINATOR_STATUSES) | Q(status=Status.SIGNED, extensions__status="pending")) & Q(region__path__startswith=path)
        if not user.is_superuser and user.role not in SUPERVISOR_ROLES:
            coordinated &= Q(level__in=[Level.GRID, Level.COMMUNITY])
        wanted |= coordinated
    if user.role == Role.DEPARTMENT:
        wanted |= Q(status__in=HANDLER_STATUSES, level=Level.DEPARTMENT, handling_department__in=user.departments.all())
    elif user.role in HANDLER_ROLE_LEVEL and path:
        unit = Q(handling_region__path__in=ancestor_paths(path)) | Q(handling_region__path__startswith=path)
        wanted |= Q(status__in=HANDLER_STATUSES, level=HANDLER_ROLE_LEVEL[user.role]) & unit
    return (Case.objects.filter(wanted).distinct().select_related("matter", "region", "handling_region", "handling_department", "assignee")
            .order_by(F("step_overdue").desc(), F("step_due_at").asc(nulls_last=True), "reported_at"))


def dispatch_departments(case: Case) -> QuerySet:
    """The active departments a case may be dispatched or summoned to: those of the units above it
    (a district's departments serve the whole district) and those whose service areas hold it.
    The dispatch form offers these and the services refuse any other."""
    from yiwang.matters.models import Department

    paths = ancestor_paths(case.region.path)
    return (Department.objects.filter(active=True).filter(Q(region__path__in=paths) | Q(areas__path__in=paths))
            .distinct().order_by("kind", "code"))


def dispatch_regions(user, case: Case) -> QuerySet:
    """The units in the user's scope a case may be pushed to: its street, its community, and its
    grid when the matter is admitted to grids."""
    from yiwang.duties.admission import grid_admission
    from yiwang.regions.models import Level as RegionLevel
    from yiwang.regions.models import Region

    levels = [RegionLevel.STREET, RegionLevel.COMMUNITY]
    if grid_admission(grid=case.region, matter_type=case.matter).admitted:
        levels.append(RegionLevel.GRID)
    return Region.objects.restrict(user).filter(path__in=ancestor_paths(case.region.path), level__in=levels).order_by("path")


def summonable_members(user) -> QuerySet:
    """The people `user` may summon to a case by name: active staff accounts within the user's scope."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    path = scope_path(user)
    if path is None:
        return User.objects.none()
    # Accounts the user may look up at all, then only those below them (not the chain above).
    people = User.objects.restrict(user).filter(is_active=True).exclude(role=Role.RESIDENT)
    if path:
        people = people.filter(scope_region__path__startswith=path)
    return people.order_by("username")


def public_timeline(case: Case) -> QuerySet:
    """The events a resident sees on the tracking page: public ones, no staff names."""
    return CaseEvent.objects.filter(case=case, public=True).order_by("at", "id")


def yearly_summons_counts(parts: QuerySet, *, year: int | None = None) -> list[dict]:
    """Per department and year: summonses answered (the part done) and how many were asked.
    Alliance units owe at least two answered a year (`short` flags those below)."""
    rows = (parts.filter(department__isnull=False)
            .annotate(year=ExtractYear("summons__created_at"))
            .values("department", "department__name", "department__is_alliance_unit", "year")
            .annotate(asked=Count("id"), answered=Count("id", filter=Q(done_at__isnull=False)))
            .order_by("year", "department__name"))
    if year is not None:
        rows = rows.filter(year=year)
    rows = list(rows)
    if year is not None:
        # An alliance unit never summoned that year still owes its two answers: list it with zero.
        from yiwang.matters.models import Department

        listed = {row["department"] for row in rows}
        for dept in Department.objects.filter(is_alliance_unit=True, active=True).exclude(pk__in=listed).order_by("name"):
            rows.append({"department": dept.pk, "department__name": dept.name, "department__is_alliance_unit": True, "year": year,
                         "asked": 0, "answered": 0})
    return [{**row, "short": bool(row["department__is_alliance_unit"]) and row["answered"] < 2} for row in rows]


# The lists behind the command center's numbers: each state is the indicator condition of that
# name (indicators._conditions), so a list holds exactly the cases a number counted.
LIST_STATES = {
    "cases": "cases", "open": "open", "overdue": "open_overdue", "closed": "closed", "on_time": "closed_on_time",
    "late": "closed_late", "rated": "rated", "judged": None, "satisfied": None, "warning": None,
}


def filter_cases(cases: QuerySet, *, region=None, board: str = "", matter: int | None = None, department: int | None = None,
                 handler: int | None = None, since=None, until=None, state: str = "", as_of=None) -> QuerySet:
    """Narrow `cases` (already scoped): region subtree (a micro-grid: its cases), board, matter,
    handling department, handler, reported on since..until (local dates, both included) and a state.
    A state leaves void cases out, as the indicators do; "satisfied" is satisfied or basically
    satisfied (the satisfaction rate's numerator); "warning" is open, past the step's warning time
    and not yet due (the yellow light)."""
    from datetime import datetime, time, timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from yiwang.matters.models import Board

    from .indicators import _conditions
    from .models import OPEN_STATUSES, VOID_STATUSES, Rating

    as_of = as_of or timezone.now()
    if region is not None:
        cases = cases.filter(micro_grid=region) if region.level == "micro_grid" else cases.filter(region__path__startswith=region.path)
    if board:
        if board not in Board.values:
            raise ValidationError({"board": f"unknown board {board!r}"})
        cases = cases.filter(board=board)
    for field, value in (("matter_id", matter), ("handling_department_id", department), ("handler_id", handler)):
        if value is not None:
            cases = cases.filter(**{field: value})
    if since is not None:
        cases = cases.filter(reported_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until is not None:
        cases = cases.filter(reported_at__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min)))
    if state:
        if state not in LIST_STATES:
            raise ValidationError({"state": f"unknown state {state!r}; choose one of {', '.join(LIST_STATES)}"})
        conditions = _conditions(as_of)
        cases = cases.exclude(status__in=sorted(VOID_STATUSES))
        if state == "judged":
            q = conditions["closed_on_time"] | conditions["closed_late"] | conditions["open_overdue"]
        elif state == "satisfied":
            q = Q(rating__in=[Rating.SATISFIED, Rating.BASIC])
        elif state == "warning":
            q = Q(status__in=sorted(OPEN_STATUSES), paused_at__isnull=True, step_warn_at__lte=as_of, step_due_at__gte=as_of)
        else:
            q = conditions[LIST_STATES[state]]
        cases = cases.filter(q)
    return cases


def trackable_case(number: str) -> Case | None:
    """The case a resident may follow on the tracking page by its number (None when there is none):
    what residents can report or have reported for them, and any case of a publicly offered matter
    (as Open311 shows them). Cases that staff opened in a household (campaign checks, patrols, home
    visits) have no resident to follow them: they are not tracked at all."""
    from .models import Channel
    from .moderation import HOUSEHOLD_SOURCES

    resident_channels = [Channel.RESIDENT, Channel.DESK, Channel.HOTLINE, Channel.OPEN311]
    return (Case.objects.select_related("matter", "region").filter(number=number)
            .filter(Q(matter__public=True) | Q(channel__in=resident_channels)).exclude(external_source__in=HOUSEHOLD_SOURCES).first())
