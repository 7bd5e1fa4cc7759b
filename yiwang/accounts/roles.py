"""What each role may do in the Django admin (base-data upkeep). Row scope is separate: every
admin queryset is also restricted by yiwang.core.scope."""

from __future__ import annotations

from yiwang.core.scope import Role, scoped_models

# role -> admin actions on the base data (every scoped model); roles not listed have no admin access.
ADMIN_ACTIONS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT: ("view", "add", "change", "delete"),
    Role.STREET: ("view", "add", "change", "delete"),
    Role.COMMUNITY: ("view", "add", "change"),
}


# Catalogue data without a region scope (matter types, the working-day calendar, point rules) is kept by
# the district command center; superusers can always edit it.
CATALOGUE_ROLES = {Role.DISTRICT: ("view", "add", "change")}
CATALOGUE_MODELS = ("matters.mattertype", "cases.stagelimit", "cases.skiplevelrule", "worktime.specialday", "worktime.calendaryear", "points.pointrule", "notify.webhookendpoint")


# Permissions beyond the admin's that a role holds by default (within its own scope, as always).
# Community staff and grid workers look after the persons in sensitive groups, so they see them.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.COMMUNITY: ("registry.view_sensitive_group",),
    Role.GRID_WORKER: ("registry.view_sensitive_group",),
}


def _grouped_roles() -> list[str]:
    return list(dict.fromkeys([*ADMIN_ACTIONS, *ROLE_PERMISSIONS]))


def group_name(role: str) -> str:
    return f"role:{role}"


def sync_role_groups(**kwargs) -> None:
    """post_migrate: one group per role holding that role's admin permissions."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    base_data = scoped_models()
    content_types = ContentType.objects.get_for_models(*base_data).values()
    for role in _grouped_roles():
        actions = ADMIN_ACTIONS.get(role, ())
        group, _ = Group.objects.get_or_create(name=group_name(role))
        codenames = [f"{action}_{model._meta.model_name}" for model in base_data for action in actions]
        permissions = set(Permission.objects.filter(content_type__in=content_types, codename__in=codenames))
        for label in ROLE_PERMISSIONS.get(role, ()):
            app_label, codename = label.split(".")
            permissions |= set(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        for label in CATALOGUE_MODELS if role in CATALOGUE_ROLES else ():
            app_label, model_name = label.split(".")
            permissions |= set(Permission.objects.filter(content_type__app_label=app_label, content_type__model=model_name,
                                                         codename__in=[f"{a}_{model_name}" for a in CATALOGUE_ROLES[role]]))
        group.permissions.set(permissions)
        if role in ROLE_PERMISSIONS:
            # Accounts made before this role had a group (an upgrade) join it here, not at their next save.
            from django.contrib.auth import get_user_model

            group.user_set.add(*get_user_model().objects.filter(role=role).exclude(groups=group).values_list("pk", flat=True))


def apply_role(user) -> None:
    """Keep a user's role group in step with the role (User.save keeps the staff flag)."""
    from django.contrib.auth.models import Group

    wanted = group_name(user.role) if user.role in _grouped_roles() else None
    current = set(user.groups.filter(name__startswith="role:").values_list("name", flat=True))
    if current != ({wanted} if wanted else set()):
        user.groups.remove(*Group.objects.filter(name__in=current))
        if wanted:
            group, _ = Group.objects.get_or_create(name=wanted)
            user.groups.add(group)
