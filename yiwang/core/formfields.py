"""Form pieces every app's pages share."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .photos import ALLOWED, MAX_PHOTOS, check_photos


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one <input type=file multiple>; checked as images here so a wrong file
    is refused before anything is written (the service checks again)."""

    def __init__(self, *args, capture: bool = True, **kwargs):
        attrs = {"accept": "image/*", "multiple": True}
        if capture:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        try:
            check_photos(files, field="photos")
        except ValidationError as exc:
            detail = "；".join(exc.message_dict.get("photos", exc.messages))
            raise ValidationError(
                _("照片无法接收（%(detail)s）。请上传 %(kinds)s 格式的图片，每张不超过 %(mb)s MB，最多 %(n)s 张。"),
                code="photo", params={"detail": detail, "kinds": "、".join(ALLOWED), "n": MAX_PHOTOS,
                                      "mb": round(settings.YIWANG_PHOTO_MAX_BYTES / 1024 / 1024, 1)},
            ) from None
        for upload in files:
            upload.seek(0)
        return files
