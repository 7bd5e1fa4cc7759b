"""The toolkit every app's pages share: who may open a staff page, and how a POST that calls a
service reports back. Pages stay thin: the rule is in the service, the page only asks and shows."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect

from .errors import describe
from .scope import is_staff


def require_staff(user, message: str | None = None) -> None:
    """403 for residents (they have pages of their own); `message`, when given, says what the page is
    for, else the 403 page says the role or scope does not include it."""
    if not is_staff(user):
        raise PermissionDenied(*([message] if message else []))


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


def run_action(
    request,
    action: Callable[[], Any],
    *,
    redirect_to: Any,
    success: str | Callable[[Any], str] | None = None,
    label: Callable[[str], str] | None = None,
    explain: Callable[[ValidationError], str] | None = None,
    denied: str | Callable[[PermissionDenied], str] | None = None,
) -> HttpResponseRedirect:
    """A POST that calls one service and goes back: `action()` runs the service; on success the page
    says `success` (a text, or a function of what the service returned), on a ValidationError it says
    what was wrong in one sentence (`explain(exc)`, else each field's messages after `label(field)`);
    either way the visitor goes to `redirect_to` (what `redirect()` takes, or a tuple of a URL name and
    its arguments). A PermissionDenied is a 403 unless `denied` says what to show instead (a text, or
    a function of the exception)."""
    try:
        result = action()
    except ValidationError as exc:
        messages.error(request, explain(exc) if explain is not None else describe(exc, label))
    except PermissionDenied as exc:
        if denied is None:
            raise
        messages.error(request, denied(exc) if callable(denied) else denied)
    else:
        if success is not None:
            messages.success(request, success(result) if callable(success) else success)
    return redirect(*redirect_to) if isinstance(redirect_to, tuple) else redirect(redirect_to)


def see_other(to: Any, *args, **kwargs) -> HttpResponseRedirect:
    """Post/redirect/get: after a POST that wrote, a 303 to its result (what `redirect()` takes), so
    refreshing the result page never sends the form again."""
    response = redirect(to, *args, **kwargs)
    response.status_code = 303
    return response
