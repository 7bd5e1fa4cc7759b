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
