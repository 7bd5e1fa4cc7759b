"""The toolkit every app's pages share: who may open a staff page, and how a POST that calls a
service reports back. Pages stay thin: the rule is in the service, the page only asks and shows."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .scope import is_staff


def require_staff(user, message: str | None = None) -> None:
    """403 for residents (they have pages of their own); `message` says what the page is for."""
    if not is_staff(user):
        raise PermissionDenied(message or _("此页面仅供工作人员使用"))


def staff_required(view=None, *, message: str | None = None):
    """A staff page: anonymous visitors go to the login page, residents get 403."""

    def decorate(func):
        @login_required
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            require_staff(request.user, message)
            return func(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
