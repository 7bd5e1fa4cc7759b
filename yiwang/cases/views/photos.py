"""Case photos are personal data: served only to staff whose scope holds the case, or to the
resident holding the case's access code (kept in the session by the tracking page), or to the
signed-in resident who reported it."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext

from .. import selectors
from ..models import CasePhoto
from .common import TRACKED_SESSION_KEY


def case_photo(request, pk: int):
    photo = CasePhoto.objects.restrict(request.user).filter(pk=pk).first()
    if photo is None:
        tracked = request.session.get(TRACKED_SESSION_KEY, [])
        photo = CasePhoto.objects.filter(pk=pk, case__number__in=tracked).first()
    if photo is None and request.user.is_authenticated:
        photo = CasePhoto.objects.filter(pk=pk, case__in=selectors.my_reports(request.user)).first()
    if photo is None:
        raise Http404(gettext("照片不存在"))
    # Lists ask for the small copy made at upload (older photos have none: the full image then).
    file = photo.thumbnail if request.GET.get("size") == "thumb" and photo.thumbnail else photo.image
    response = FileResponse(file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
