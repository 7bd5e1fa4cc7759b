"""Input no view can store: PostgreSQL's text cannot hold a NUL character, so a parameter carrying
one would end in a database error deep inside whichever view read it. It is refused here, once,
naming the parameter, before any view runs."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

JSON_NUL = b"\\u0000"


def nul_field(request) -> str | None:
    """The name of the first parameter (query string, form field, or the JSON body) holding a NUL."""
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return key.replace("\x00", "")
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    try:
        if content_type.startswith("application/json"):
            body = request.body
            if b"\x00" in body or JSON_NUL in body.lower():
                return "body"
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return key.replace("\x00", "")
    except Exception:  # noqa: BLE001 - a body Django cannot parse is the view's to refuse, after its own checks (401 first)
        return None
    return None


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = nul_field(request)
        if field is None:
            return self.get_response(request)
        message = _("不能包含空字符")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": {field: [message]}}, status=422)
        return HttpResponseBadRequest(f"{field}：{message}", content_type="text/plain; charset=utf-8")
