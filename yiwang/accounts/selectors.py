"""Reads for accounts: who manages whom, login events in a scope, current lockouts, the accounts and
the audit log of a local admin's scope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import CharField, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from yiwang.core.models import AuditEntry
from yiwang.core.scope import Role, scope_path

from .models import LoginEvent, User
from .roles import ADMIN_ACTIONS

# An admin manages accounts in their scope whose role ranks below their own.
_RANK = {Role.DISTRICT: 3, Role.STREET: 2, Role.COMMUNITY: 1}


def is_account_admin(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_superuser or (user.role in ADMIN_ACTIONS and user.scope_region_id)))


def managed_users(actor) -> QuerySet:
    """Accounts whose login events `actor` may read and whose lock or second factor they may reset:
    everyone for a superuser; for a district, street or community admin, the accounts scoped (or, for
    residents, registered) inside their subtree with a lower-ranked role. Never a superuser."""
    if not is_account_admin(actor):
        return User.objects.none()
    if actor.is_superuser:
        return User.objects.all()
    prefix = scope_path(actor)
    if not prefix:
        return User.objects.none()
    rank = _RANK.get(actor.role, 0)
    lower_roles = [role for role in Role.values if _RANK.get(role, 0) < rank]
    inside = Q(scope_region__path__startswith=prefix) | Q(role=Role.RESIDENT, person__region__path__startswith=prefix)
    return User.objects.filter(inside, role__in=lower_roles, is_superuser=False)


def manages(actor, user) -> bool:
    return user is not None and managed_users(actor).filter(pk=user.pk).exists()


def login_events(actor, *, username: str = "", kind: str = "") -> QuerySet:
    """Login events of the accounts `actor` manages; a superuser also sees names that do not exist."""
    if not is_account_admin(actor):
        return LoginEvent.objects.none()
    events = LoginEvent.objects.select_related("user", "actor")
    if not actor.is_superuser:
        events = events.filter(user__in=managed_users(actor))
    if username:
        events = events.filter(username=username.strip())
    if kind:
        events = events.filter(kind=kind)
    return events


def own_login_events(user, *, limit: int = 20) -> list[LoginEvent]:
    return list(LoginEvent.objects.filter(user=user)[:limit])


def locked_usernames(actor) -> list[dict]:
    """Usernames locked now (failures within the window reach the limit), among those `actor` manages."""
    from axes.models import AccessAttempt

    since = timezone.now() - timedelta(seconds=settings.AXES_COOLOFF_TIME.total_seconds())
    rows = (AccessAttempt.objects.filter(attempt_time__gte=since).values("username")
            .annotate(failures=Sum("failures_since_start")).filter(failures__gte=settings.AXES_FAILURE_LIMIT))
    failures = {row["username"]: row["failures"] for row in rows}
    if not failures:
        return []
    users = {u.username: u for u in managed_users(actor).filter(username__in=failures)}
    return [{"username": name, "failures": count, "user": users[name]} for name, count in sorted(failures.items()) if name in users]


# --- local administration -----------------------------------------------------------------------


def local_accounts(actor, *, query: str = "", role: str = "", active: bool | None = None) -> QuerySet:
    """The accounts inside `actor`'s subtree (not the staff above it that `restrict` also shows),
    for a district, street or community admin; never a superuser."""
    if not is_account_admin(actor):
        return User.objects.none()
    prefix = scope_path(actor)
    users = User.objects.restrict(actor).filter(is_superuser=False, scope_region__isnull=False)
    if prefix:
        users = users.filter(scope_region__path__startswith=prefix)
    if query:
        users = users.filter(Q(username__icontains=query) | Q(first_name__icontains=query) | Q(unit__icontains=query))
    if role:
        users = users.filter(role=role)
    if active is not None:
        users = users.filter(is_active=active)
    return users.select_related("scope_region").order_by("scope_region__path", "role", "username")


def local_account(actor, pk: int) -> User | None:
    """One account of `actor`'s list, or None (outside the scope reads as not found)."""
    return local_accounts(actor).filter(pk=pk).first()


def scope_audit_entries(actor, *, who: str = "", app: str = "", since: date | None = None, until: date | None = None) -> QuerySet:
    """Audit entries of `actor`'s scope, newest first. An entry has no region of its own, so it is in
    the scope when the account that acted is inside the subtree (staff scoped there, residents living
    there), when it is about such an account, or when its service wrote the region's path into the
    detail (`region_path`, as the local administration's services do). A superuser sees everything."""
    if not is_account_admin(actor):
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.select_related("actor")
    prefix = scope_path(actor)
    if prefix:
        inside = User.objects.filter(Q(scope_region__path__startswith=prefix)
                                     | Q(role=Role.RESIDENT, person__region__path__startswith=prefix))
        inside_keys = inside.annotate(key=Cast("pk", CharField())).values("key")
        entries = entries.filter(Q(actor__in=inside.values("pk")) | Q(target_type=User._meta.label_lower, target_id__in=inside_keys)
                                 | Q(detail__region_path__startswith=prefix))
    if who:
        entries = entries.filter(actor__username=who)
    if app:
        entries = entries.filter(action__startswith=f"{app}.")
    tz = timezone.get_current_timezone()
    if since is not None:
        entries = entries.filter(at__gte=datetime.combine(since, time.min, tzinfo=tz))
    if until is not None:
        entries = entries.filter(at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz))
    return entries.order_by("-at", "-pk")
