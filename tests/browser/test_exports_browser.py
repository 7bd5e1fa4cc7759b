"""An export as a community worker does it, in Chromium: press the export button on the residents
page, land on the job page at once, let the real worker process write the file, watch the page
(htmx polling, no reload) turn to a download link, and download the masked sheet."""

from __future__ import annotations

import subprocess
import sys

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests import factories
from tests.test_worker import _env_for_test_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


def test_export_from_the_page_with_progress_and_download(page, login, live_server, users, tree, settings, tmp_path):
    residents = [factories.person(tree.grid_a), factories.person(tree.grid_b)]
    login("community")
    page.goto(f"{live_server.url}/persons/")
    page.get_by_test_id("export").click()
    expect(page.get_by_test_id("status")).to_have_text("排队中")
    assert "/exports/" in page.url

    env = _env_for_test_database() | {"YIWANG_MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    subprocess.run([sys.executable, "-m", "yiwang.manage", "worker", "--batch", "-v", "0"], env=env, check=True, timeout=180)

    # The page polls itself: the download link appears without a reload.
    expect(page.get_by_test_id("status")).to_have_text("已完成", timeout=20_000)
    with page.expect_download() as download_info:
        page.get_by_test_id("download").click()
    assert download_info.value.suggested_filename == "persons.xlsx"
    path = tmp_path / "persons.xlsx"
    download_info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [p.name for p in residents] and all("*" in r[1] for r in rows[1:])

    page.get_by_test_id("nav-exports").click()
    expect(page.locator("[data-testid=export-jobs] tbody tr")).to_have_count(1)
    expect(page.locator("[data-testid=export-jobs] [data-testid=status]")).to_have_text("已完成")
