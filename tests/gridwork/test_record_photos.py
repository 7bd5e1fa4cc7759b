"""Photos on patrols and home visits: kept when the form fails on another field, filed with the
record on the next POST without a file, shown as thumbnails linking to the full image, and served
only to those who may see the record."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yiwang.gridwork.models import HomeVisit, PatrolLog, RecordPhoto

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg(name="scene.jpg"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (90, 140, 60)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _form(**fields):
    data = {"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "findings-TOTAL_FORMS": "1", "findings-INITIAL_FORMS": "0",
            "findings-MIN_NUM_FORMS": "0", "findings-MAX_NUM_FORMS": "20", "findings-0-urgency": "normal"}
    data.update(fields)
    return data


def kept_tokens(html: str) -> list[str]:
    return re.findall(r'name="photos__kept" value="([^"]+)"', html)


@pytest.mark.parametrize("path, model", [("/gridwork/patrols/new/", PatrolLog), ("/gridwork/visits/new/", HomeVisit)])
def test_a_record_keeps_its_photo_across_a_missing_summary(client, tree, users, path, model):
    client.force_login(users["worker_a"])
    response = client.post(path, _form(region=tree.grid_a.pk, summary="", photos=[jpeg()]))
    html = response.content.decode()
    assert 'data-field="summary"' in html and "已选照片 1 张，可重新选择" in html
    tokens = kept_tokens(html)
    assert len(tokens) == 1 and not model.objects.exists() and not RecordPhoto.objects.exists()

    response = client.post(path, _form(region=tree.grid_a.pk, summary="滨湖路一切正常", photos__kept=tokens), follow=True)
    record = model.objects.get()
    photo = record.photos.get()
    assert photo.content_type == "image/jpeg" and photo.thumbnail
    page = response.content.decode()
    # The record page shows the small copy and links to the full one.
    assert f'<a href="/gridwork/photos/{photo.pk}/"' in page and f'<img src="/gridwork/photos/{photo.pk}/?size=thumb"' in page

    full = client.get(f"/gridwork/photos/{photo.pk}/")
    thumb = client.get(f"/gridwork/photos/{photo.pk}/?size=thumb")
    assert full.status_code == thumb.status_code == 200
    assert len(b"".join(thumb.streaming_content)) < len(b"".join(full.streaming_content))


def test_another_grid_worker_cannot_open_the_photo_nor_use_the_token(client, tree, users):
    client.force_login(users["worker_a"])
    tokens = kept_tokens(client.post("/gridwork/patrols/new/", _form(region=tree.grid_a.pk, summary="", photos=[jpeg()])).content.decode())
    client.post("/gridwork/patrols/new/", _form(region=tree.grid_a.pk, summary="巡查", photos=[jpeg()]))
    photo = RecordPhoto.objects.get()

    client.force_login(users["worker_b"])
    assert client.get(f"/gridwork/photos/{photo.pk}/").status_code == 404
    client.post("/gridwork/patrols/new/", _form(region=tree.grid_b.pk, summary="巡查乙", photos__kept=tokens))
    assert PatrolLog.objects.get(summary="巡查乙").photos.count() == 0


def test_a_non_image_names_the_field_and_writes_nothing(client, tree, users):
    client.force_login(users["worker_a"])
    fake = SimpleUploadedFile("notes.txt", b"not a picture", content_type="image/jpeg")
    response = client.post("/gridwork/visits/new/", _form(region=tree.grid_a.pk, summary="上门", photos=[fake]))
    html = response.content.decode()
    assert response.status_code < 500 and "照片无法接收" in html and "“notes.txt”不是可识别的图片" in html
    assert 'data-field="photos"' in html
    assert not HomeVisit.objects.exists() and not RecordPhoto.objects.exists()
