"""Account actions: API tokens, login events, unlocking, second-factor resets, password changes."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit

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
