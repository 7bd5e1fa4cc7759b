"""Form pieces every app's pages share."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext

from . import kept_photos
from .photos import ALLOWED, MAX_PHOTOS, check_photos, max_side


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ChosenPhotos(list):
    """The files of one photo input, with the tokens of photos kept from a failed submission."""

    kept_tokens: list[str] = []


class PhotosInput(MultipleFileInput):
    """The photo input: marked for web/photos.js (data-photos, and the server's long side so the
    browser shrinks to it), followed by the photos kept from a failed submission, each a hidden
    token with its thumbnail. Whether to keep is decided here, when the form is shown again: only a
    form that failed is ever shown again with its uploads."""

    owner: kept_photos.PhotoOwner | None = None
    field_name = ""
    accepted: list = []  # new uploads that passed their checks
    kept_tokens: list[str] = []  # kept photos this submission used
    _kept: list[kept_photos.Kept] | None = None

    def value_from_datadict(self, data, files, name):
        chosen = ChosenPhotos(super().value_from_datadict(data, files, name) or [])
        chosen.kept_tokens = data.getlist(kept_name(name)) if hasattr(data, "getlist") else []
        return chosen

    def kept(self) -> list[kept_photos.Kept]:
        if self._kept is None:
            self._kept = []
            if self.owner is not None and self.accepted:
                self._kept = kept_photos.keep(self.accepted, owner=self.owner, field=self.field_name)
            elif self.owner is not None and self.kept_tokens:
                self._kept = kept_photos.shown(self.kept_tokens, owner=self.owner, field=self.field_name)
        return self._kept

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {}), "data-photos": True, "data-max-side": str(max_side()),
                 "data-undecodable": gettext("无法预览，将按原文件提交")}
        html = super().render(name, value, attrs, renderer)
        kept = self.kept()
        if not kept:
            return html
        note = gettext("已选照片 %(n)s 张，可重新选择") % {"n": len(kept)}
        items = format_html_join("", '<span class="photo-kept-item"><img src="{}" alt="{}"><input type="hidden" name="{}" value="{}"></span>',
                                 ((k.thumbnail_url, k.name, kept_name(name), k.signed) for k in kept))
        return format_html('{}<span class="photos photo-kept" data-testid="kept-photos" data-kept-for="{}"><span class="muted">{}</span>{}</span>',
                           html, name, note, items)


def kept_name(name: str) -> str:
    return f"{name}__kept"


def keeps_photos(form, request):
    """Photos of this form survive a failure elsewhere in it: kept for the sender (account or
    session) and used by the next submission that chooses no new file. Returns the form."""
    owner = kept_photos.PhotoOwner(request)
    for name, field in form.fields.items():
        if isinstance(field, PhotosField):
            field.widget.owner, field.widget.field_name = owner, name
    return form


class PhotosField(forms.FileField):
    """Several photos from one <input type=file multiple>; checked as images here so a wrong file
    is refused before anything is written (the service checks again). With `keeps_photos`, a
    submission without a new file takes the photos kept from the last failed one."""

    def __init__(self, *args, capture: bool = True, **kwargs):
        attrs = {"accept": "image/*", "multiple": True}
        if capture:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", PhotosInput(attrs=attrs))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        widget = self.widget
        if not files and getattr(data, "kept_tokens", None) and getattr(widget, "owner", None) is not None:
            files = kept_photos.take(data.kept_tokens, owner=widget.owner, field=widget.field_name)
            if files:
                widget.kept_tokens = list(data.kept_tokens)
                return files
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
        if isinstance(widget, PhotosInput):
            widget.accepted = files
        return files
