"""Login events from Django's and django-axes' signals, and the session limits stamped at login."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from yiwang.core.scope import Role

from .models import LoginEvent, User

LOGIN_AT = "yiwang_login_at"
SEEN_AT = "yiwang_seen_at"


def is_staff_session(user) -> bool:
    return user.is_superuser or user.role != Role.RESIDENT


def session_lifetime(user) -> timedelta:
    if is_staff_session(user):
        return timedelta(hours=settings.YIWANG_SESSION_MAX_HOURS)
    return timedelta(days=settings.YIWANG_RESIDENT_SESSION_DAYS)


def logged_in(sender, request, user, **kwargs):
    from .services import record_login_event

    if request is None:
        return
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[LOGIN_AT] = now
        session[SEEN_AT] = now
        # An absolute expiry: the cookie and the stored session end then, however active the user is.
        session.set_expiry(timezone.now() + session_lifetime(user))
    record_login_event(kind=LoginEvent.Kind.SUCCESS, request=request, user=user, detail=getattr(request, "yiwang_login_detail", ""))


def login_failed(sender, credentials, request=None, **kwargs):
    from .services import record_login_event

    username = str(credentials.get("username") or "")[:150]
    refused = getattr(request, "yiwang_refused_locked", False)
    user = User.objects.filter(username=username).first() if username else None
    record_login_event(kind=LoginEvent.Kind.REFUSED if refused else LoginEvent.Kind.FAILURE, request=request, user=user, username=username)


def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    from .services import record_login_event

    # django-axes sends this again for each try during the lock; those are recorded as "refused".
    if request is not None and getattr(request, "yiwang_refused_locked", False):
        return
    username = str(username or "")[:150]
    user = User.objects.filter(username=username).first() if username else None
    record_login_event(kind=LoginEvent.Kind.LOCKED, request=request, user=user, username=username)


def logged_out(sender, request=None, user=None, **kwargs):
    from .services import record_login_event

    if user is None:
        return
    kind = getattr(request, "yiwang_logout_kind", LoginEvent.Kind.LOGOUT)
    record_login_event(kind=kind, request=request, user=user, detail=getattr(request, "yiwang_logout_detail", ""))
