"""The one place for data-scope rules.

A user has a role and a scope (a node of the region tree). Every list, read, export and change
goes through `restrict(user, action)`, which keeps only rows inside the user's subtree and only
for actions the role allows. Views, the API and the admin all start from it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from yiwang.accounts.models import User


def ancestor_paths(path: str) -> list[str]:
    """The paths of a node and all its ancestors, root first: "/a/b/" → ["/a/", "/a/b/"]."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    EXPORT = "export"
    # Read an ID number or phone in clear; every such read is logged.
    REVEAL = "reveal"


class Role(models.TextChoices):
    DISTRICT = "district", _("区指挥中心")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID_WORKER = "grid_worker", _("网格员")
    DEPARTMENT = "department", _("部门")
    RESIDENT = "resident", _("居民")


# Everyone who works the system, as against residents; desks answer at community level and above.
STAFF_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID_WORKER, Role.DEPARTMENT})
DESK_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY})


def is_staff(user: User | Any) -> bool:
    """A logged-in, active staff account (any role but resident), or a superuser: the one "is staff" test."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.role in STAFF_ROLES


def is_resident(user: User | Any) -> bool:
    """A logged-in resident acting as themselves (a superuser never is)."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and not user.is_superuser
                and user.role == Role.RESIDENT)


# Which actions each role may take on base data inside its scope. Residents see no registry data.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.DISTRICT: frozenset({Action.VIEW, Action.CHANGE, Action.EXPORT}),
    Role.STREET: frozenset({Action.VIEW, Action.CHANGE, Action.EXPORT}),
    # Community and grid workers visit homes and call residents, so they may reveal contacts.
    Role.COMMUNITY: frozenset({Action.VIEW, Action.CHANGE, Action.EXPORT, Action.REVEAL}),
    Role.GRID_WORKER: frozenset({Action.VIEW, Action.CHANGE, Action.REVEAL}),
    Role.DEPARTMENT: frozenset({Action.VIEW}),
    Role.RESIDENT: frozenset(),
}


def role_allows(user: User | Any, action: Action | str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Action(action) in ROLE_ACTIONS.get(user.role, frozenset())


def scope_path(user: User | Any) -> str | None:
    """The region path prefix the user may see, "" for everything, None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ""
    region = user.scope_region
    return None if region is None else region.path


# The command center's own pages (the big screen, analysis, reviews) are for the staff of a
# district's, street's or community's command center, who see their whole subtree.
COMMAND_CENTER_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY})


def is_command_center_staff(user: User | Any) -> bool:
    """A district, street or community user with a region in scope, or a superuser."""
    return scope_path(user) is not None and (user.is_superuser or user.role in COMMAND_CENTER_ROLES)


# Departments are scoped to the whole district for their cases, which is far wider than what they
# need to know about residents: they see a person (and records about persons) only when a case
# their department handles names them, or through an explicit, logged grant (yiwang.registry.access).
NEED_TO_KNOW_ROLES = frozenset({Role.DEPARTMENT})

# Persons in a sensitive key group (严重精神障碍, 社区矫正, ...) are visible only with this permission;
# yiwang.accounts.roles gives it to community staff and grid workers by default.
SENSITIVE_GROUP_PERMISSION = "registry.view_sensitive_group"


def needs_to_know(user: User | Any) -> bool:
    """True when the user sees persons only case by case or by grant, not by region."""
    return bool(user is not None and user.is_authenticated and not user.is_superuser and user.role in NEED_TO_KNOW_ROLES)


def may_see_sensitive_groups(user: User | Any) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.has_perm(SENSITIVE_GROUP_PERMISSION)


def require(user: User | Any, action: Action | str, region_path: str) -> None:
    """Raise PermissionDenied unless `user` may take `action` on something at `region_path`."""
    prefix = scope_path(user)
    if not role_allows(user, action) or prefix is None or not region_path.startswith(prefix):
        raise PermissionDenied(gettext("这项操作超出了您的权限或数据范围"))


class ScopedQuerySet(models.QuerySet):
    """Every scoped model names the lookup to its region path in `scope_path_field`."""

    def restrict(self, user: User | Any, action: Action | str = Action.VIEW) -> ScopedQuerySet:
        prefix = scope_path(user)
        if prefix is None or not role_allows(user, action):
            return self.none()
        if prefix == "":
            return self
        return self.filter(**{f"{self.model.scope_path_field}__startswith": prefix})


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def visible_users(queryset: models.QuerySet, user: User | Any, action: Action | str = Action.VIEW) -> models.QuerySet:
    """Accounts a user may look up: those scoped inside the user's subtree and those on the chain
    above it (the community, street and district staff a grid worker answers to). Anything else is
    "not found", exactly like a name that does not exist. Accounts without a scope region
    (residents, superusers) are visible only to superusers."""
    prefix = scope_path(user)
    if prefix is None or not role_allows(user, action):
        return queryset.none()
    if prefix == "":
        return queryset
    return queryset.filter(models.Q(scope_region__path__startswith=prefix) | models.Q(scope_region__path__in=ancestor_paths(prefix)))


def get_in_scope(user: User | Any, model: type[models.Model], action: Action | str = Action.VIEW, **lookup) -> models.Model:
    """The object if the user may take `action` on it; otherwise 404, so that nothing outside a
    scope is even confirmed to exist."""
    from django.http import Http404

    obj = model._default_manager.restrict(user, action).filter(**lookup).first()
    if obj is None:
        raise Http404(gettext("%(thing)s不存在或不在您的数据范围内") % {"thing": model._meta.verbose_name})
    return obj


def scoped_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if getattr(m, "scope_path_field", None)]
