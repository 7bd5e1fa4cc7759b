"""Photo checks at the door: real JPEG/PNG/WebP images under the size limit, nothing else."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PHOTOS = 9


@dataclass
class CheckedPhoto:
    content: bytes
    content_type: str
    extension: str


def check_photos(files, *, field: str = "photos") -> list[CheckedPhoto]:
    from PIL import Image

    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise ValidationError({field: f"at most {MAX_PHOTOS} photos"})
    checked = []
    limit = settings.YIWANG_PHOTO_MAX_BYTES
    for i, upload in enumerate(files, start=1):
        name = getattr(upload, "name", f"#{i}")
        size = upload.size if isinstance(upload, UploadedFile) else len(upload)
        if size > limit:
            raise ValidationError({field: f"photo {name}: {size} bytes is over the limit of {limit} bytes"})
        content = upload.read() if hasattr(upload, "read") else bytes(upload)
        try:
            with Image.open(io.BytesIO(content)) as image:
                kind = image.format
                image.verify()
        except Exception:
            raise ValidationError({field: f"photo {name}: not a readable image"}) from None
        if kind not in ALLOWED:
            raise ValidationError({field: f"photo {name}: {kind} is not accepted; send JPEG, PNG or WebP"})
        content_type, extension = ALLOWED[kind]
        checked.append(CheckedPhoto(content, content_type, extension))
    return checked
