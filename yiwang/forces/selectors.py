"""Reads for the grid-force pages: the units a local admin keeps, and one unit's people and roster."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yiwang.core.scope import Action
from yiwang.regions.models import Level, Region

from .models import Assignment, DutyShift, ForceMember

# The units whose forces and rosters are kept on these pages.
UNIT_LEVELS = (Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID)
# Assignments are to grids; a street or community keeps only a roster.
ASSIGNABLE_LEVELS = (Level.GRID, Level.MICRO_GRID)


def _current(today):
    return Q(ends_on__isnull=True) | Q(ends_on__gte=today)


def units(user) -> QuerySet:
    """The streets, communities and grids in the user's scope, each with its current assignments counted."""
    today = timezone.localdate()
    return (Region.objects.restrict(user, Action.CHANGE).filter(level__in=UNIT_LEVELS)
            .annotate(assigned=Count("assignments", filter=Q(assignments__ends_on__isnull=True) | Q(assignments__ends_on__gte=today)))
            .order_by("path"))


def assignments(user, region) -> QuerySet:
    """The unit's assignments that have not ended, first those that started."""
    return (Assignment.objects.restrict(user).filter(grid=region).filter(_current(timezone.localdate()))
            .select_related("member").order_by("starts_on", "role", "member__name"))


def shifts(user, region, *, days_back: int = 7) -> QuerySet:
    """The unit's roster from a week ago on."""
    since = timezone.now() - timedelta(days=days_back)
    return DutyShift.objects.restrict(user).filter(region=region, ends_at__gte=since).select_related("member").order_by("starts_at")


def members_for(user, region) -> QuerySet:
    """Active members the user may put on this unit: managed by the unit, one of its ancestors or
    one of its descendants, inside the user's scope."""
    from yiwang.regions.models import ancestor_paths

    return (ForceMember.objects.restrict(user, Action.CHANGE).filter(active=True)
            .filter(Q(region__path__in=ancestor_paths(region.path)) | Q(region__path__startswith=region.path))
            .select_related("region").order_by("role", "name"))
