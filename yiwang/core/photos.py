"""Photos at the door, for every upload path (cases, activities, wishes, campaigns, points bank):
real JPEG/PNG/WebP images under the size limit, re-encoded before anything is stored.

Re-encoding applies the EXIF orientation, then writes a new file from the pixels alone, so the
EXIF block (GPS position, camera serial, time) and any other metadata never reach the disk; the
long side is capped (YIWANG_PHOTO_MAX_SIDE) and a small thumbnail (YIWANG_PHOTO_THUMB_SIDE) is
made for lists. `redact` blacks out rectangles for the copy the public may see.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PHOTOS = 9
# Decoding more pixels than this is refused (a small file can unpack to gigabytes).
MAX_PIXELS = 60_000_000


@dataclass
class CheckedPhoto:
    content: bytes
    content_type: str
    extension: str
    thumbnail: bytes = b""


def max_side() -> int:
    return getattr(settings, "YIWANG_PHOTO_MAX_SIDE", 2048)


def thumb_side() -> int:
    return getattr(settings, "YIWANG_PHOTO_THUMB_SIDE", 320)


def _encode(image, kind: str) -> tuple[bytes, str, str]:
    """Pixels only: no exif=, no info carried over. The upload's own format is kept."""
    buffer = io.BytesIO()
    if kind == "PNG":
        image.save(buffer, format="PNG", optimize=True)
    elif kind == "WEBP":
        image.save(buffer, format="WEBP", quality=85)
    else:
        kind = "JPEG"
        image.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True)
    content_type, extension = ALLOWED[kind]
    return buffer.getvalue(), content_type, extension


def reencode(content: bytes) -> CheckedPhoto:
    """Orientation applied, metadata dropped, long side capped; with its thumbnail."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(content)) as image:
        kind = image.format if image.format in ALLOWED else "JPEG"
        image = ImageOps.exif_transpose(image)
        alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        image = image.convert("RGBA" if alpha and kind != "JPEG" else "RGB")
        image.thumbnail((max_side(), max_side()), Image.Resampling.LANCZOS)
        data, content_type, extension = _encode(image, kind)
        small = image.copy()
        small.thumbnail((thumb_side(), thumb_side()), Image.Resampling.LANCZOS)
        thumbnail, _type, _ext = _encode(small, kind)
    return CheckedPhoto(data, content_type, extension, thumbnail)


def _label(field: str) -> str:
    # The photo fields the services use, named as the forms name them; any other field is just 照片.
    labels = {"photos": _("照片"), "before": _("处置前照片"), "after": _("处置后照片")}
    return labels.get(field, _("照片"))


def check_photos(files, *, field: str = "photos") -> list[CheckedPhoto]:
    """Each upload checked and re-encoded; a refusal names the field and the file, in Chinese."""
    from PIL import Image

    files = list(files or [])
    label = _label(field)
    if len(files) > MAX_PHOTOS:
        raise ValidationError({field: _("%(field)s最多 %(n)s 张") % {"field": label, "n": MAX_PHOTOS}})
    checked = []
    limit = settings.YIWANG_PHOTO_MAX_BYTES
    for i, upload in enumerate(files, start=1):
        name = getattr(upload, "name", None) or f"#{i}"
        size = upload.size if isinstance(upload, UploadedFile) else len(upload)
        if size > limit:
            raise ValidationError({field: _("%(field)s“%(name)s”大小为 %(size)s MB，超过上限 %(limit)s MB") % {
                "field": label, "name": name, "size": round(size / 1024 / 1024, 1), "limit": round(limit / 1024 / 1024, 1)}})
        content = upload.read() if hasattr(upload, "read") else bytes(upload)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content)) as image:
                    kind = image.format
                    too_big = image.width * image.height > MAX_PIXELS
                    image.verify()
        except Exception:
            raise ValidationError({field: _("%(field)s“%(name)s”不是可识别的图片") % {"field": label, "name": name}}) from None
        if kind not in ALLOWED:
            raise ValidationError({field: _("%(field)s“%(name)s”是 %(kind)s 格式，只接收 JPEG、PNG、WebP") % {
                "field": label, "name": name, "kind": kind}})
        if too_big:
            raise ValidationError({field: _("%(field)s“%(name)s”像素过多，请缩小后再上传") % {"field": label, "name": name}})
        try:
            checked.append(reencode(content))
        except Exception:
            raise ValidationError({field: _("%(field)s“%(name)s”不是可识别的图片") % {"field": label, "name": name}}) from None
    return checked


def parse_rectangles(text: str, *, width: int, height: int, field: str = "rectangles") -> list[list[int]]:
    """One rectangle a line, "x,y,w,h" in the image's pixels; each must lie inside the image."""
    rectangles = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip().replace("，", ",")
        if not line:
            continue
        try:
            x, y, w, h = (int(part) for part in line.split(","))
        except ValueError:
            raise ValidationError({field: _("第%(n)s行“%(line)s”应为 x，y，宽，高 四个整数") % {"n": number, "line": line}}) from None
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > width or y + h > height:
            raise ValidationError({field: _("第%(n)s行的矩形超出图片范围（%(w)s×%(h)s）") % {"n": number, "w": width, "h": height}})
        rectangles.append([x, y, w, h])
    return rectangles


def redact(content: bytes, rectangles: list[list[int]]) -> CheckedPhoto:
    """A copy with each rectangle filled black, re-encoded (and so without metadata)."""
    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(content)) as image:
        kind = image.format if image.format in ALLOWED else "JPEG"
        image.load()
        image = image.convert("RGBA" if kind != "JPEG" and image.mode in ("RGBA", "LA", "PA") else "RGB")
        draw = ImageDraw.Draw(image)
        for x, y, w, h in rectangles:
            draw.rectangle([x, y, x + w - 1, y + h - 1], fill=(0, 0, 0, 255) if image.mode == "RGBA" else (0, 0, 0))
        # Lossless in between, so the re-encoding below is the only lossy step.
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
    photo = reencode(buffer.getvalue())
    if kind != "PNG":
        with Image.open(io.BytesIO(photo.content)) as flat:
            data, content_type, extension = _encode(flat.convert("RGBA" if flat.mode == "RGBA" and kind == "WEBP" else "RGB"), kind)
        photo = CheckedPhoto(data, content_type, extension, photo.thumbnail)
    return photo


def dimensions(content: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(content)) as image:
        return image.size
