"""Account actions: API tokens and login throttling."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.core import audit

from .models import ApiToken, LoginFailure, User, hash_token

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


# --- login throttling -------------------------------------------------------------------------

# One address may fail this many times more than one username before it is locked too.
_ADDRESS_FACTOR = 4


def login_locked(*, username: str, remote_addr: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    limit = settings.LOGIN_FAILURE_LIMIT
    return (
        recent.filter(username=username.lower()).count() >= limit
        or recent.filter(remote_addr=remote_addr).count() >= limit * _ADDRESS_FACTOR
    )


def record_login_failure(*, username: str, remote_addr: str) -> None:
    now = timezone.now()
    LoginFailure.objects.create(username=username.lower(), remote_addr=remote_addr, at=now)
    # Failures older than the window no longer count; keep the table small.
    LoginFailure.objects.filter(at__lt=now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)).delete()


def clear_login_failures(*, username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""
