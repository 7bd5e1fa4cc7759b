"""Handling units: the level a unit keeps work at (grid, community, street, department), which
region's unit that is, and who may do a unit's work. A desk's A and B, a duty list item's A and B and
a case's handler are all checked against `can_handle_at` (the one rule)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Role, scope_path
from yiwang.regions.models import Level as RegionLevel


class Level(models.TextChoices):
    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")
    DEPARTMENT = "department", _("部门")


# The level at which a region's unit keeps work (a micro-grid's work is its grid's).
LEVEL_OF_REGION = {RegionLevel.GRID: Level.GRID, RegionLevel.MICRO_GRID: Level.GRID, RegionLevel.COMMUNITY: Level.COMMUNITY,
                   RegionLevel.STREET: Level.STREET}
# The staff role that does a region unit's work at each level (departments: the department's members).
HANDLER_ROLE = {Level.GRID: Role.GRID_WORKER, Level.COMMUNITY: Role.COMMUNITY, Level.STREET: Role.STREET}


def can_handle_at(user, *, level: str, region, department=None) -> bool:
    """May `user` handle work kept at `level` by this unit (a region, or a department)?"""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if level == Level.DEPARTMENT:
        return department is not None and user.departments.filter(pk=getattr(department, "pk", department)).exists()
    own = scope_path(user)
    return user.role == HANDLER_ROLE[level] and own is not None and (own.startswith(region.path) or region.path.startswith(own))
