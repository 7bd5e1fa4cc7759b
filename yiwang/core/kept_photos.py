"""Photos kept across a failed submission.

When a form with photos fails on another field, the photos that passed their own checks are kept
here, re-encoded (`photos.check_photos`), and the form shows them back as hidden tokens; the next
submission without a new file uses them. A token is signed (a forged or altered one is never looked
up), bound to who sent it (an account, or the browser session of a resident without one) and good
for `KEPT_FOR`; `purge_expired` (a periodic job) deletes the rest.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from .models import KeptPhoto
from .photos import check_photos

KEPT_FOR = timedelta(days=1)
_SALT = "yiwang.core.kept-photo"


class PhotoOwner:
    """Who sent a form: the account, else the browser session (made on demand, so a resident's
    first failed report gets a session cookie to come back with)."""

    def __init__(self, request):
        self._request = request

    @property
    def key(self) -> str:
        user = getattr(self._request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        session = self._request.session
        if not session.session_key:
            session.save()
        session.modified = True  # so the cookie is sent with the re-rendered form
        return "session:" + hashlib.sha256(session.session_key.encode()).hexdigest()[:64]


@dataclass(frozen=True)
class Kept:
    """What a form shows of a kept photo: its signed token and a thumbnail as a data: URL."""

    signed: str
    name: str
    thumbnail_url: str


def _shown(row: KeptPhoto) -> Kept:
    thumbnail = base64.b64encode(bytes(row.thumbnail)).decode()
    return Kept(signed=signing.TimestampSigner(salt=_SALT).sign(row.token), name=row.name,
                thumbnail_url=f"data:{row.content_type};base64,{thumbnail}")


def keep(files, *, owner: PhotoOwner, field: str, now: datetime | None = None) -> list[Kept]:
    """Keep uploads that already passed `check_photos` (re-encoded again here: nothing unchecked is stored)."""
    now = now or timezone.now()
    key = owner.key
    kept = []
    for upload in files:
        upload.seek(0)
        [photo] = check_photos([upload], field=field)
        row = KeptPhoto.objects.create(
            token=secrets.token_urlsafe(32), owner=key, field=field, name=(getattr(upload, "name", "") or "")[:200],
            content_type=photo.content_type, content=photo.content, thumbnail=photo.thumbnail, created_at=now)
        kept.append(_shown(row))
    return kept


def _rows(signed_tokens, *, owner: PhotoOwner, field: str, now: datetime | None = None) -> list[KeptPhoto]:
    now = now or timezone.now()
    tokens = []
    for signed in signed_tokens:
        try:
            tokens.append(signing.TimestampSigner(salt=_SALT).unsign(signed, max_age=KEPT_FOR))
        except signing.BadSignature:  # forged, altered or expired: as if absent
            continue
    if not tokens:
        return []
    rows = {row.token: row for row in KeptPhoto.objects.filter(
        token__in=tokens, owner=owner.key, field=field, created_at__gt=now - KEPT_FOR)}
    return [rows[token] for token in dict.fromkeys(tokens) if token in rows]


def shown(signed_tokens, *, owner: PhotoOwner, field: str) -> list[Kept]:
    """The kept photos these tokens name, for showing again (another's or an expired token: none)."""
    return [_shown(row) for row in _rows(signed_tokens, owner=owner, field=field)]


def take(signed_tokens, *, owner: PhotoOwner, field: str, now: datetime | None = None) -> list[SimpleUploadedFile]:
    """The kept photos as uploads, for the form to hand on as if just chosen. They stay until purged,
    so a submission that fails again can still use them."""
    return [SimpleUploadedFile(row.name or f"photo.{row.content_type.rsplit('/', 1)[-1]}", bytes(row.content), row.content_type)
            for row in _rows(signed_tokens, owner=owner, field=field, now=now)]


def purge_expired(now: datetime) -> int:
    deleted, _by_model = KeptPhoto.objects.filter(created_at__lte=now - KEPT_FOR).delete()
    return deleted
