"""What each role may do in the Django admin (base-data upkeep). Row scope is separate: every
admin queryset is also restricted by yiwang.core.scope."""

from __future__ import annotations

from yiwang.core.scope import Role

BASE_DATA = [
    ("regions", "region"), ("registry", "building"), ("registry", "buildingunit"), ("registry", "house"),
    ("registry", "household"), ("registry", "person"), ("registry", "persontag"), ("registry", "place"),
    ("registry", "component"), ("party", "partyorganization"), ("party", "partymember"),
    ("forces", "forcemember"), ("forces", "assignment"), ("forces", "dutyshift"),
]

# role -> admin actions on the base data; roles not listed have no admin access.
ADMIN_ACTIONS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT: ("view", "add", "change", "delete"),
    Role.STREET: ("view", "add", "change", "delete"),
    Role.COMMUNITY: ("view", "add", "change"),
}


def group_name(role: str) -> str:
    return f"role:{role}"


def sync_role_groups(**kwargs) -> None:
    """post_migrate: one group per role holding that role's admin permissions."""
    from django.contrib.auth.models import Group, Permission

    for role, actions in ADMIN_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        codenames = [f"{action}_{model}" for _, model in BASE_DATA for action in actions]
        labels = {app for app, _ in BASE_DATA}
        group.permissions.set(Permission.objects.filter(content_type__app_label__in=labels, codename__in=codenames))


def apply_role(user) -> None:
    """Keep a user's group and staff flag in step with the role."""
    from django.contrib.auth.models import Group

    wanted = group_name(user.role) if user.role in ADMIN_ACTIONS else None
    current = set(user.groups.filter(name__startswith="role:").values_list("name", flat=True))
    if current != ({wanted} if wanted else set()):
        user.groups.remove(*Group.objects.filter(name__in=current))
        if wanted:
            group, _ = Group.objects.get_or_create(name=wanted)
            user.groups.add(group)
