"""Activity record photos reach the public page only after staff reviewed them, and lists show the
thumbnail made at upload."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from yiwang.activities import services
from yiwang.activities.models import ActivityPhoto
from yiwang.core.models import AuditEntry


def big_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_unreviewed_photo_stays_off_public_pages_until_staff_approve(client, make_activity, staff, users):
    activity = make_activity()
    services.finish_activity(activity, acting_user=staff, summary="顺利举办", now=activity.ends_at,
                             photos=[SimpleUploadedFile("kids.png", big_png(), content_type="image/png")])
    photo = ActivityPhoto.objects.get(activity=activity)
    public_page = reverse("activities:public-activity", args=[activity.pk])
    thumb = reverse("activities:photo-thumb", args=[photo.pk])

    html = client.get(public_page).content.decode()
    assert "顺利举办" in html and thumb not in html
    assert client.get(reverse("activities:photo", args=[photo.pk])).status_code == 404
    assert client.get(thumb).status_code == 404

    client.force_login(staff)
    staff_page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "待审核，公开页面不显示" in staff_page and thumb in staff_page
    client.post(reverse("activities:photo-review", args=[photo.pk, "approve"]))
    assert AuditEntry.objects.filter(action="activities.activity.photo_review").exists()
    client.logout()

    html = client.get(public_page).content.decode()
    assert thumb in html
    response = client.get(thumb)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (320, 240)
    full = client.get(reverse("activities:photo", args=[photo.pk]))
    assert Image.open(io.BytesIO(b"".join(full.streaming_content))).size == (1200, 900)

    # Withdrawn: off the public page again. A grid worker may not review.
    client.force_login(users["worker_a"])
    assert client.post(reverse("activities:photo-review", args=[photo.pk, "withdraw"])).status_code in (403, 404)
    client.force_login(staff)
    client.post(reverse("activities:photo-review", args=[photo.pk, "withdraw"]))
    client.logout()
    assert thumb not in client.get(public_page).content.decode()
