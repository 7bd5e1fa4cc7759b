"""Photos kept across a failed submission (core/kept_photos.py, core/formfields.py PhotosInput):
a form that fails on another field shows the photos back as tokens, the next POST without a file
uses them; a token of another sender, an expired or a forged one is ignored."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import POINT_A, matters  # noqa: F401  (the fixture)
from yiwang.cases.models import Case, CasePhoto, PhotoKind
from yiwang.core import jobs, kept_photos
from yiwang.core.models import KeptPhoto

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _media_cache_tasks(settings, tmp_path):
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()
    yield
    cache.clear()


def jpeg(name="scene.jpg", size=(640, 480), colour=(30, 120, 200)):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def accepted(response) -> bool:
    # A report taken is answered with its result page, or a redirect to it (post/redirect/get).
    return response.status_code in (200, 303) and Case.objects.exists()


def kept_tokens(html: str, name: str = "photos") -> list[str]:
    return re.findall(rf'name="{name}__kept" value="([^"]+)"', html)


def resident_form(matters, **extra):
    data = {"matter": str(matters("S0001").pk), "description": "楼上漏水", "phone": PHONE,
            "lon": str(POINT_A[0]), "lat": str(POINT_A[1]), "address": "幸福路 8 号"}
    data.update(extra)
    return data


def test_resident_report_keeps_the_photo_when_the_phone_is_missing(client, tree, matters):
    response = client.post(reverse("resident-report"), resident_form(matters, phone="", photos=[jpeg()]))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="phone"' in html
    assert "已选照片 1 张，可重新选择" in html and 'data-testid="kept-photos"' in html
    assert re.search(r'<img src="data:image/jpeg;base64,[A-Za-z0-9+/=]+" alt="scene.jpg">', html)
    tokens = kept_tokens(html)
    assert len(tokens) == 1 and Case.objects.count() == 0 and CasePhoto.objects.count() == 0

    # The next POST chooses no file: the kept photo is the case's.
    response = client.post(reverse("resident-report"), resident_form(matters, photos__kept=tokens))
    assert accepted(response)
    case = Case.objects.get()
    photo = case.photos.get()
    assert photo.kind == PhotoKind.REPORT and photo.content_type == "image/jpeg" and photo.thumbnail


def test_a_new_file_wins_over_the_kept_one(client, tree, matters):
    html = client.post(reverse("resident-report"), resident_form(matters, phone="", photos=[jpeg()])).content.decode()
    tokens = kept_tokens(html)
    response = client.post(reverse("resident-report"), resident_form(matters, photos=[jpeg("new.jpg", (100, 80)), jpeg("two.jpg")],
                                                                     photos__kept=tokens))
    assert accepted(response)
    assert Case.objects.get().photos.count() == 2


def test_a_photo_kept_while_the_form_fails_again_is_still_shown(client, tree, matters):
    html = client.post(reverse("resident-report"), resident_form(matters, phone="", photos=[jpeg()])).content.decode()
    tokens = kept_tokens(html)
    html = client.post(reverse("resident-report"), resident_form(matters, description="", photos__kept=tokens)).content.decode()
    # The same kept photo: its signed value is the same (the signature's timestamp may be a second later).
    assert [t.split(":")[0] for t in kept_tokens(html)] == [t.split(":")[0] for t in tokens] and "已选照片 1 张" in html
    assert accepted(client.post(reverse("resident-report"), resident_form(matters, photos__kept=tokens)))
    assert Case.objects.get().photos.count() == 1


def test_staff_report_keeps_the_photo_and_the_second_post_files_it(client, users, matters):
    client.force_login(users["worker_a"])
    data = {"channel": "grid_worker", "matter": str(matters("S0001").pk), "urgency": "normal",
            "lon": str(POINT_A[0]), "lat": str(POINT_A[1])}
    response = client.post(reverse("case-report"), {**data, "description": "", "photos": [jpeg()]})
    assert response.status_code == 400
    tokens = kept_tokens(response.content.decode())
    assert len(tokens) == 1 and Case.objects.count() == 0

    response = client.post(reverse("case-report"), {**data, "description": "楼道堆物", "photos__kept": tokens})
    assert accepted(response)
    assert Case.objects.get().photos.filter(kind=PhotoKind.REPORT).count() == 1


def test_another_users_token_is_ignored(client, users, matters):
    data = {"channel": "grid_worker", "matter": str(matters("S0001").pk), "urgency": "normal",
            "lon": str(POINT_A[0]), "lat": str(POINT_A[1])}
    client.force_login(users["worker_a"])
    tokens = kept_tokens(client.post(reverse("case-report"), {**data, "description": "", "photos": [jpeg()]}).content.decode())
    assert tokens

    client.force_login(users["community"])
    response = client.post(reverse("case-report"), {**data, "description": "楼道堆物", "photos__kept": tokens})
    assert accepted(response)
    case = Case.objects.get()
    assert case.photos.count() == 0


def test_a_residents_token_does_not_travel_to_another_browser(client, tree, matters):
    from django.test import Client

    tokens = kept_tokens(client.post(reverse("resident-report"), resident_form(matters, phone="", photos=[jpeg()])).content.decode())
    other = Client()
    html = other.post(reverse("resident-report"), resident_form(matters, description="", photos__kept=tokens)).content.decode()
    assert "已选照片" not in html and not kept_tokens(html)
    assert accepted(other.post(reverse("resident-report"), resident_form(matters, photos__kept=tokens)))
    assert Case.objects.get().photos.count() == 0


def test_an_expired_or_forged_token_is_ignored_and_the_sweep_purges(client, users, matters):
    data = {"channel": "grid_worker", "matter": str(matters("S0001").pk), "urgency": "normal",
            "lon": str(POINT_A[0]), "lat": str(POINT_A[1])}
    client.force_login(users["worker_a"])
    tokens = kept_tokens(client.post(reverse("case-report"), {**data, "description": "", "photos": [jpeg()]}).content.decode())
    KeptPhoto.objects.update(created_at=timezone.now() - kept_photos.KEPT_FOR - timedelta(minutes=1))

    forged = [tokens[0][:-3] + ("AAA" if not tokens[0].endswith("AAA") else "BBB")]
    html = client.post(reverse("case-report"), {**data, "description": "", "photos__kept": tokens + forged}).content.decode()
    assert not kept_tokens(html)
    assert accepted(client.post(reverse("case-report"), {**data, "description": "楼道堆物", "photos__kept": tokens}))
    assert Case.objects.get().photos.count() == 0

    assert jobs.run_jobs()["core.purge_kept_photos"] == 1
    assert not KeptPhoto.objects.exists()


def test_a_required_photo_field_is_satisfied_by_the_kept_photo(client, users, matters):
    # Solved on the spot needs before and after photos: both kept when the description is missing.
    client.force_login(users["worker_a"])
    data = {"channel": "grid_worker", "matter": str(matters("S0001").pk), "urgency": "normal", "solve_on_spot": "on",
            "spot_note": "当场调解", "lon": str(POINT_A[0]), "lat": str(POINT_A[1])}
    html = client.post(reverse("case-report"), {**data, "description": "", "before": [jpeg("b.jpg")], "after": [jpeg("a.jpg")]}).content.decode()
    before, after = kept_tokens(html, "before"), kept_tokens(html, "after")
    assert len(before) == len(after) == 1
    # A "before" token is no "after" photo.
    response = client.post(reverse("case-report"), {**data, "description": "邻里争吵", "before__kept": before, "after__kept": before})
    assert response.status_code == 400 and Case.objects.count() == 0
    response = client.post(reverse("case-report"), {**data, "description": "邻里争吵", "before__kept": before, "after__kept": after})
    assert accepted(response)
    assert set(Case.objects.get().photos.values_list("kind", flat=True)) == {PhotoKind.BEFORE, PhotoKind.AFTER}


def test_an_oversized_or_non_image_photo_names_the_field_and_keeps_nothing(client, tree, matters, settings):
    settings.YIWANG_PHOTO_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.jpg", _noisy_jpeg((1600, 1200)), content_type="image/jpeg")
    assert big.size > settings.YIWANG_PHOTO_MAX_BYTES
    html = client.post(reverse("resident-report"), resident_form(matters, photos=[big])).content.decode()
    assert "照片无法接收" in html and "“big.jpg”大小为" in html and "超过上限 1.0 MB" in html
    assert 'data-field="photos"' in html
    fake = SimpleUploadedFile("notes.txt", b"not a picture", content_type="image/jpeg")
    html = client.post(reverse("resident-report"), resident_form(matters, phone="", photos=[fake])).content.decode()
    assert "“notes.txt”不是可识别的图片" in html and not kept_tokens(html)
    assert not KeptPhoto.objects.exists() and Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def _noisy_jpeg(size) -> bytes:
    import os

    from PIL import Image

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def test_the_photo_input_is_marked_for_the_browser_with_the_servers_long_side(client, tree, settings):
    settings.YIWANG_PHOTO_MAX_SIDE = 1600
    html = client.get(reverse("resident-report")).content.decode()
    assert re.search(r'<input type="file" name="photos"[^>]* data-photos data-max-side="1600"', html)
    assert "web/photos.js" in html
