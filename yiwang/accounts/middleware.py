"""Session rules every request obeys, pages and API alike:

- staff sessions end after YIWANG_SESSION_IDLE_MINUTES without a request and YIWANG_SESSION_MAX_HOURS
  after login; residents' after YIWANG_RESIDENT_SESSION_DAYS;
- a role that must use a second factor has no session without it (a session made another way, say
  before the role required it, is ended and the user logs in again);
- an account flagged to change its password reaches nothing but the password change page."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import twofactor
from .models import LoginEvent
from .signals import LOGIN_AT, SEEN_AT, is_staff_session

# Touch the session's last-seen time at most this often, so that not every request writes the session.
_SEEN_RESOLUTION = 60
_ALWAYS_OPEN = ("/static/", "/jsi18n/", "/i18n/", "/healthz", "/logout/")


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(_ALWAYS_OPEN):
            refusal = self._check(request, user)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _check(self, request, user):
        session, now = request.session, time.time()
        login_at = session.get(LOGIN_AT)
        if login_at is None:  # a session from before these limits: they start now
            session[LOGIN_AT] = session[SEEN_AT] = login_at = now
        seen_at = session.get(SEEN_AT, login_at)
        if is_staff_session(user):
            if now - login_at > settings.YIWANG_SESSION_MAX_HOURS * 3600:
                return self._end(request, _("登录已超过 %(hours)d 小时，请重新登录。") % {"hours": settings.YIWANG_SESSION_MAX_HOURS}, "max")
            if now - seen_at > settings.YIWANG_SESSION_IDLE_MINUTES * 60:
                return self._end(request, _("%(minutes)d 分钟未操作，已自动退出，请重新登录。") % {"minutes": settings.YIWANG_SESSION_IDLE_MINUTES}, "idle")
        elif now - login_at > settings.YIWANG_RESIDENT_SESSION_DAYS * 86400:
            return self._end(request, _("登录已过期，请重新登录。"), "max")
        if now - seen_at >= _SEEN_RESOLUTION:
            session[SEEN_AT] = now
        if twofactor.required_for(user) and not user.is_verified():
            return self._end(request, _("您的角色须通过两步验证，请重新登录。"), "2fa", kind=LoginEvent.Kind.LOGOUT)
        if user.must_change_password and request.path != reverse("accounts:password-change") \
                and request.path != reverse("accounts:password-change-done"):
            # The password page itself says why; no message piling up on every refused request.
            return self._refuse(request, reverse("accounts:password-change"), _("请先修改密码。"), status=403, tell=False)
        return None

    def _end(self, request, message: str, reason: str, kind: str = LoginEvent.Kind.EXPIRED):
        request.yiwang_logout_kind = kind
        request.yiwang_logout_detail = reason
        logout(request)
        login_url = settings.LOGIN_URL
        if request.method == "GET" and not request.path.startswith("/api/"):
            login_url += "?" + urlencode({"next": request.get_full_path()})
        return self._refuse(request, login_url, message, status=401)

    @staticmethod
    def _refuse(request, url: str, message: str, *, status: int, tell: bool = True):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=status)
        if request.headers.get("HX-Request"):
            # htmx would swap the login page into a fragment; it follows this header with a full page load.
            response = HttpResponse(status=200)
            response["HX-Redirect"] = url
            return response
        if tell:
            messages.warning(request, message)
        return redirect(url)
