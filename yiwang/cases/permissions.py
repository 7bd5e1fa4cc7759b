"""Who may take which action on a case: the `Actor` of each transition made concrete."""

from __future__ import annotations

from yiwang.core.scope import Role, scope_path

from .lifecycle import Actor, Transition
from .models import Case, Level

COORDINATOR_ROLES = {Role.COMMUNITY, Role.STREET, Role.DISTRICT}
SUPERVISOR_ROLES = {Role.STREET, Role.DISTRICT}
# The staff role that handles a case kept at each region level (department cases: the department's members).
HANDLER_ROLE = {Level.GRID: Role.GRID_WORKER, Level.COMMUNITY: Role.COMMUNITY, Level.STREET: Role.STREET}


def coordinator_roles(level: str) -> set[str]:
    """Street-level and department cases are coordinated from the street up; the rest from the community up."""
    return SUPERVISOR_ROLES if level in (Level.STREET, Level.DEPARTMENT) else COORDINATOR_ROLES


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _covers(user, path: str) -> bool:
    prefix = scope_path(user)
    return prefix is not None and path.startswith(prefix)


def is_coordinator(user, case: Case) -> bool:
    """Community, street or district staff over the case; street-level cases need the street or above."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return user.role in coordinator_roles(case.level) and _covers(user, case.region.path)


def is_supervisor(user, case: Case) -> bool:
    if not _active(user):
        return False
    return user.is_superuser or (user.role in SUPERVISOR_ROLES and _covers(user, case.region.path))


def can_handle_at(user, *, level: str, region, department=None) -> bool:
    """May `user` handle cases kept at `level` by this unit (a region, or a department)? The one
    rule behind `is_handler` and behind who may be named A or B of a duty."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if level == Level.DEPARTMENT:
        return department is not None and user.departments.filter(pk=getattr(department, "pk", department)).exists()
    own = scope_path(user)
    return user.role == HANDLER_ROLE[level] and own is not None and (own.startswith(region.path) or region.path.startswith(own))


def is_handler(user, case: Case) -> bool:
    """A member of the unit the case is with: the department, or staff of the handling region."""
    if case.level == Level.DEPARTMENT and case.handling_department_id is None:
        return bool(_active(user) and user.is_superuser)
    return can_handle_at(user, level=case.level, region=case.handling_region, department=case.handling_department_id)


def is_grid_worker_of(user, case: Case) -> bool:
    if not _active(user) or user.role != Role.GRID_WORKER:
        return False
    own = scope_path(user)
    return own is not None and (case.region.path.startswith(own) or own.startswith(case.region.path))


def may_act(user, case: Case, transition: Transition, *, system: bool = False, reporter_verified: bool = False) -> bool:
    actor = transition.actor
    if actor is Actor.SYSTEM:
        return system
    if actor is Actor.COORDINATOR:
        return is_coordinator(user, case)
    if actor is Actor.SUPERVISOR:
        return is_supervisor(user, case)
    if actor is Actor.HANDLER:
        return is_handler(user, case)
    if actor is Actor.HANDLER_OR_COORDINATOR:
        return is_handler(user, case) or is_coordinator(user, case)
    if actor is Actor.GRID_WORKER:
        return is_grid_worker_of(user, case)
    if actor is Actor.REPORTER:
        # The account that reported it may rate, unless it also handled it (no rating one's own work).
        own_report = _active(user) and case.reported_by_id == user.pk and case.handler_id != user.pk
        return reporter_verified or is_coordinator(user, case) or own_report
    return False
