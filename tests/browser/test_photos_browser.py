"""Photos in the field, in Chromium: a large photo chosen on the resident's report is shrunk in the
browser to the server's long side before it is sent, with a preview showing its size before and
after; a file that is no image is left as chosen and the server's Chinese refusal shows after submit."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from yiwang.core.photos import max_side

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _catalogue_media(settings, tmp_path):
    from django.core.cache import cache

    from yiwang.matters import catalogue

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    catalogue.ensure()  # see tests/browser/test_cases_browser.py: the seeded catalogue may not survive a transactional test
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
    yield context.new_page()
    context.close()


def large_jpeg() -> bytes:
    """A 4000×3000 camera-sized photo: a gradient with grain, so it does not compress to nothing."""
    from PIL import Image

    grain = Image.effect_noise((4000, 3000), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    buffer = io.BytesIO()
    Image.blend(gradient, grain, 0.3).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_a_large_photo_is_shrunk_in_the_browser_with_a_preview(phone_page, live_server, tree):
    page = phone_page
    original = large_jpeg()
    page.goto(f"{live_server.url}/report/")
    photos = page.locator("input[type=file][name=photos]")
    expect(photos).to_have_attribute("data-max-side", str(max_side()))
    photos.set_input_files(files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original}])

    expect(page.locator("input[name=photos][data-photos-ready='1']")).to_have_count(1)
    item = page.locator("[data-testid=photo-preview] [data-testid=photo-preview-item]")
    expect(item).to_have_count(1)
    expect(item.locator("img")).to_have_count(1)
    expect(item.locator("[data-testid=photo-preview-size]")).to_contain_text("→")

    chosen = page.evaluate("""async () => {
        const file = document.querySelector("input[name=photos]").files[0];
        const bitmap = await createImageBitmap(file);
        return {size: file.size, type: file.type, name: file.name, width: bitmap.width, height: bitmap.height};
    }""")
    assert chosen["size"] < len(original)
    assert chosen["type"] == "image/jpeg" and chosen["name"] == "IMG_0001.jpg"
    assert max(chosen["width"], chosen["height"]) <= max_side()
    assert (chosen["width"], chosen["height"]) == (max_side(), max_side() * 3 // 4)


def test_a_non_image_is_sent_as_chosen_and_refused_in_chinese(phone_page, live_server, tree):
    page = phone_page
    page.goto(f"{live_server.url}/report/")
    page.locator("input[type=file][name=photos]").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": "这不是照片".encode()}])
    expect(page.locator("input[name=photos][data-photos-ready='1']")).to_have_count(1)
    assert page.evaluate("document.querySelector('input[name=photos]').files[0].name") == "notes.txt"
    page.fill("[name=description]", "路灯不亮")
    page.click("[data-testid=submit]")
    error = page.locator(".field-error[data-field=photos]")
    expect(error).to_contain_text("照片无法接收")
    expect(error).to_contain_text("“notes.txt”不是可识别的图片")


def test_the_shrunk_photo_is_sent_and_kept_when_another_field_is_missing(phone_page, live_server, tree):
    page = phone_page
    page.goto(f"{live_server.url}/report/")
    page.locator("input[type=file][name=photos]").set_input_files(
        files=[{"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": large_jpeg()}])
    expect(page.locator("input[name=photos][data-photos-ready='1']")).to_have_count(1)
    page.click("[data-testid=submit]")  # nothing else filled in
    kept = page.locator("[data-testid=kept-photos]")
    expect(kept).to_contain_text("已选照片 1 张，可重新选择")
    expect(kept.locator("img")).to_have_count(1)
    assert page.evaluate("document.querySelector('[data-testid=kept-photos] img').naturalWidth") > 0
    # Choosing anew hides the kept one: the new choice is what is sent.
    page.locator("input[type=file][name=photos]").set_input_files(
        files=[{"name": "IMG_0003.jpg", "mimeType": "image/jpeg", "buffer": large_jpeg()}])
    expect(kept).to_be_hidden()
