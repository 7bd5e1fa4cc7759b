"""Account actions: API tokens, login events, unlocking, second-factor resets, password changes."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import audit
from yiwang.core.scope import Role

# Other apps read the client's address from here too.
from .addresses import client_address  # noqa: F401
from .models import ApiToken, LoginEvent, User, hash_token

# Touch last_used_at at most this often, so every API call is not also a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


# Tokens live at most this long; a machine client renews before expiry.
TOKEN_MAX_LIFETIME = timedelta(days=366)


def issue_token(*, user: User, name: str, acting_user: User, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token and return it with its key; the key is shown once and never stored."""
    from django.core.exceptions import ValidationError

    now = timezone.now()
    if not name.strip():
        raise ValidationError({"name": "令牌用途不能为空"})
    if expires_at is None:
        expires_at = now + TOKEN_MAX_LIFETIME
    if expires_at <= now or expires_at > now + TOKEN_MAX_LIFETIME:
        raise ValidationError({"expires_at": f"过期时间须在现在之后、{TOKEN_MAX_LIFETIME.days} 天之内"})
    raw = ApiToken.new_key()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name.strip(), prefix=raw[:10], key_hash=hash_token(raw), expires_at=expires_at)
        audit.record(actor=acting_user, action="accounts.issue_token", target=token, detail={"user": user.username, "name": token.name})
    return token, raw


def revoke_token(*, token: ApiToken, acting_user: User) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            _recent_tokens.pop(token.key_hash, None)  # other processes notice within TOKEN_RECHECK_SECONDS
            audit.record(actor=acting_user, action="accounts.revoke_token", target=token, detail={"user": token.user.username})
    return token


# A machine client calls many times a second; its token is looked up again after this many seconds,
# so a revocation, an expiry or a deactivated user takes effect within them in every process.
TOKEN_RECHECK_SECONDS = 5.0
_recent_tokens: dict[str, tuple[float, ApiToken]] = {}


def user_for_token(raw: str) -> User | None:
    key_hash = hash_token(raw)
    remembered = _recent_tokens.get(key_hash)
    now = timezone.now()
    if remembered is not None and time.monotonic() - remembered[0] < TOKEN_RECHECK_SECONDS:
        token = remembered[1]
        if token.expires_at is None or token.expires_at > now:
            return token.user
    token = ApiToken.objects.active().select_related("user", "user__scope_region").filter(key_hash=key_hash).order_by().first()
    if token is None or not token.user.is_active:
        _recent_tokens.pop(key_hash, None)
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    if len(_recent_tokens) > 10_000:
        _recent_tokens.clear()
    _recent_tokens[key_hash] = (time.monotonic(), token)
    return token.user


def forget_tokens() -> None:
    _recent_tokens.clear()


# --- logins ------------------------------------------------------------------------------------


def record_login_event(*, kind: str, request=None, user: User | None = None, username: str = "", actor: User | None = None,
                       detail: str = "") -> LoginEvent:
    meta = request.META if request is not None else {}
    return LoginEvent.objects.create(
        kind=kind, user=user, username=(username or (user.get_username() if user is not None else ""))[:150],
        address=client_address(request)[:64], user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None, detail=str(detail)[:200],
    )


def prune_login_events(*, now: datetime | None = None) -> int:
    """Delete login events older than YIWANG_LOGIN_LOG_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.YIWANG_LOGIN_LOG_DAYS)
    deleted, _ = LoginEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


def _require_manages(acting_user: User, user: User) -> None:
    from .selectors import manages

    if not manages(acting_user, user):
        raise PermissionDenied(_("该账号不在您的管理范围内"))


def unlock_account(*, user: User, acting_user: User, request=None) -> int:
    """Lift a login lock before it lifts by itself; returns the failure records removed."""
    from axes.utils import reset

    _require_manages(acting_user, user)
    with transaction.atomic():
        removed = reset(username=user.get_username())
        record_login_event(kind=LoginEvent.Kind.UNLOCKED, request=request, user=user, actor=acting_user)
        audit.record(actor=acting_user, action="accounts.unlock", target=user, detail={"user": user.username})
    return removed


def reset_two_factor(*, user: User, acting_user: User, request=None) -> None:
    """For a lost phone: the user enrols again at the next login (their password still comes first)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _require_manages(acting_user, user)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record_login_event(kind=LoginEvent.Kind.OTP_RESET, request=request, user=user, actor=acting_user)
        audit.record(actor=acting_user, action="accounts.reset_two_factor", target=user, detail={"user": user.username})


def require_password_change(*, user: User, acting_user: User, request=None) -> None:
    _require_manages(acting_user, user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        user.must_change_password = True
        record_login_event(kind=LoginEvent.Kind.PASSWORD_CHANGE_REQUIRED, request=request, user=user, actor=acting_user)
        audit.record(actor=acting_user, action="accounts.require_password_change", target=user, detail={"user": user.username})


def password_changed(*, user: User, request=None) -> None:
    """After Django's password change form saved the new password."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.must_change_password = False
        record_login_event(kind=LoginEvent.Kind.PASSWORD_CHANGED, request=request, user=user)
        audit.record(actor=user, action="accounts.change_password", target=user)


# --- local administration: accounts made and kept by district, street and community admins ------
#
# An admin gives only roles at or below their own, inside their own subtree, and each role sits at its
# own level of the region tree. Nobody gives the district role or superuser status here (the
# superuser does, in the admin); department accounts serve the whole district, so only the district
# makes them. The same rule decides whom an admin may deactivate, reactivate or reset: exactly the
# accounts they could have made.

# Region levels are spelled as stored (yiwang.regions.models.Level): accounts sit below regions.
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    Role.STREET: ("street",),
    Role.COMMUNITY: ("community",),
    Role.GRID_WORKER: ("grid", "micro_grid"),
    Role.DEPARTMENT: ("district",),
}
GIVABLE_ROLES: dict[str, tuple[str, ...]] = {
    Role.DISTRICT: (Role.STREET, Role.COMMUNITY, Role.GRID_WORKER, Role.DEPARTMENT),
    Role.STREET: (Role.STREET, Role.COMMUNITY, Role.GRID_WORKER),
    Role.COMMUNITY: (Role.COMMUNITY, Role.GRID_WORKER),
}


def givable_roles(actor) -> tuple[str, ...]:
    """The roles `actor` may give to accounts in their scope (none for a role that is no admin)."""
    from .selectors import is_account_admin

    if not is_account_admin(actor):
        return ()
    return GIVABLE_ROLES[Role.DISTRICT] if actor.is_superuser else GIVABLE_ROLES.get(actor.role, ())


def placement_errors(actor, *, role: str, region) -> dict[str, str]:
    """Why `actor` may not place an account of `role` at `region`, by field; empty when they may."""
    from yiwang.core.scope import scope_path

    if role not in givable_roles(actor):
        label = Role(role).label if role in Role.values else role
        return {"role": _("您不能创建或管理“%(role)s”角色的账号。") % {"role": label}}
    if region is None:
        return {"scope_region": _("请选择数据范围。")}
    prefix = scope_path(actor)
    if prefix is None or not region.path.startswith(prefix):
        return {"scope_region": _("所选区域不在您的管理范围内。")}
    if region.level not in ROLE_LEVELS[role]:
        return {"scope_region": _("“%(role)s”账号的数据范围须是%(levels)s，“%(region)s”不是。") % {
            "role": Role(role).label, "levels": _("或").join(str(_LEVEL_WORDS[level]) for level in ROLE_LEVELS[role]),
            "region": region.name}}
    return {}


_LEVEL_WORDS = {"district": gettext_lazy("区县"), "street": gettext_lazy("街道"), "community": gettext_lazy("社区"),
                "grid": gettext_lazy("网格"), "micro_grid": gettext_lazy("微网格")}


def may_administer(actor, user) -> bool:
    """May `actor` deactivate, reactivate or reset `user`? Only accounts they could have made, never their own."""
    if user is None or user.pk == getattr(actor, "pk", None) or user.is_superuser or user.scope_region_id is None:
        return False
    return not placement_errors(actor, role=user.role, region=user.scope_region)


def _require_administers(actor, user) -> None:
    if not may_administer(actor, user):
        raise PermissionDenied(_("该账号不在您的管理范围内"))


def temporary_password(user=None) -> str:
    """A random password the configured validators accept: letters of both cases, digits and a
    symbol, without look-alikes (0/O, 1/l/I) since it is read out or copied by hand."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    lower, upper, digits, symbols = "abcdefghijkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "#%+=@"
    alphabet = lower + upper + digits
    while True:
        chars = [secrets.choice(lower), secrets.choice(upper), secrets.choice(digits), secrets.choice(symbols)]
        chars += [secrets.choice(alphabet) for _ in range(10)]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def create_account(*, acting_user, username: str, role: str, scope_region, full_name: str = "", unit: str = "",
                   password: str = "", request=None) -> tuple[User, str]:
    """Make an account in the actor's scope. Without a password a temporary one is made; either way
    the account must change it at first login. Returns the account and the password to hand over
    (shown once, never stored in clear)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    for field, message in placement_errors(acting_user, role=role, region=scope_region).items():
        errors.setdefault(field, []).append(message)
    user = User(username=username, role=role, scope_region=scope_region, first_name=(full_name or "").strip()[:150],
                unit=(unit or "").strip()[:100], must_change_password=True)
    try:
        user.clean_fields(exclude=["password", "role", "scope_region", "person", "last_login", "date_joined", "email"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if username and User.objects.filter(username__iexact=username).exists():
        # Whoever holds the name, in scope or not: a name is unique across the whole system.
        errors.setdefault("username", []).append(_("用户名“%(name)s”已被使用，请换一个。") % {"name": username})
    if role == Role.DEPARTMENT and not user.unit:
        errors.setdefault("unit", []).append(_("部门账号须填写所在部门。"))
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    password = password or temporary_password(user)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        audit.record(actor=acting_user, action="accounts.create_account", target=user, detail={
            "user": user.username, "role": user.role, "scope_region": scope_region.code, "region_path": scope_region.path})
        record_login_event(kind=LoginEvent.Kind.PASSWORD_CHANGE_REQUIRED, request=request, user=user, actor=acting_user)
    return user, password


def set_account_active(*, acting_user, user: User, active: bool, request=None) -> User:
    """Deactivate (no login, no API token, sessions end at their next request) or reactivate."""
    _require_administers(acting_user, user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        forget_tokens()
        audit.record(actor=acting_user, action="accounts.activate" if active else "accounts.deactivate", target=user,
                     detail={"user": user.username, "region_path": user.scope_region.path})
    return user


def reset_password(*, acting_user, user: User, request=None) -> str:
    """Give the account a new temporary password and make it change it at next login. Returns the
    password, to be shown once; the account's other sessions end (their password hash changed)."""
    _require_administers(acting_user, user)
    password = temporary_password(user)
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        record_login_event(kind=LoginEvent.Kind.PASSWORD_CHANGE_REQUIRED, request=request, user=user, actor=acting_user)
        audit.record(actor=acting_user, action="accounts.reset_password", target=user,
                     detail={"user": user.username, "region_path": user.scope_region.path})
    return password
