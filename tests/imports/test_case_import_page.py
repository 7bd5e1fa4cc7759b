"""The staff page for historic case imports: upload, preview of the mapping with the first rows,
then the background worker imports the whole file (or lists every problem by row and column)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.cases.models import Case
from yiwang.imports.models import ImportJob, ImportStatus

SAMPLES = Path(__file__).resolve().parents[1] / "cases" / "samples"
GRID_A = "500154003001001"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, content: bytes, name="hotline.csv", **fields):
    data = {"file": SimpleUploadedFile(name, content), "preset": "hotline12345", "region": GRID_A, "encoding": "", "mapping": ""}
    data.update(fields)
    return client.post("/imports/cases/", {k: v for k, v in data.items() if v is not None})


def test_upload_preview_then_import_in_the_background(client, users, django_capture_on_commit_callbacks):
    client.force_login(users["street"])
    response = upload(client, (SAMPLES / "hotline12345.csv").read_bytes())
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PREVIEW and not Case.objects.exists()  # nothing imported before the user confirms

    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "工单编号" in page and "来电时间" in page and "办理时限" in page  # the mapping: our field <- the file's column
    assert "GD20260302000118" in page and "2026-03-09 09:15" in page  # the first rows as they would be imported

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/imports/{job.pk}/start").status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.created == 5 and job.progress == 100 and not job.file
    assert Case.objects.filter(external_source="12345").count() == 5
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "读取 5 行，导入 5 条事件。" in page
    assert client.post(f"/imports/{job.pk}/start").status_code == 302  # a second click imports nothing more
    assert Case.objects.count() == 5


def test_a_bad_file_lists_every_problem_by_row_and_column_and_imports_nothing(client, users, django_capture_on_commit_callbacks):
    client.force_login(users["street"])
    lines = (SAMPLES / "hotline12345.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("2026-03-09 09:15:22", "2026-03-01 09:15:22")
    lines[4] = lines[4].replace("2026-03-04 21:37:45", "昨晚")
    upload(client, "\n".join(lines).encode())
    job = ImportJob.objects.get()
    preview = client.get(f"/imports/{job.pk}/").content.decode()
    assert "办理时限早于上报时间" in preview  # seen in the preview already
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/start")
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and not Case.objects.exists()
    assert sorted((row, column) for row, column, _ in job.errors) == [(2, "办理时限"), (5, "来电时间")]
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "文件未导入，共 2 个问题：" in page and "办理时限早于上报时间" in page


def test_bad_input_names_the_field(client, users):
    client.force_login(users["street"])
    response = client.post("/imports/cases/", {"preset": "hotline12345", "region": GRID_A})
    assert response.status_code == 400 and "请选择要导入的文件" in response.content.decode()
    response = upload(client, b"x", preset="nosuch")
    assert response.status_code == 400 and "没有名为 nosuch 的预设格式" in response.content.decode()
    response = upload(client, b"x", mapping="{not json")
    assert response.status_code == 400 and "列映射应为 JSON 对象" in response.content.decode()
    response = upload(client, b"x", mapping='{"colour": "x"}')
    assert response.status_code == 400 and "colour" in response.content.decode()
    response = upload(client, b"x", name="cases.exe")
    assert response.status_code == 400 and "文件应为 CSV 或 Excel" in response.content.decode()
    response = upload(client, b"x", region="500154001000")  # a street, and not a grid of this user's
    assert response.status_code == 400 and "请选择您辖区内的网格" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_who_may_import_and_see_a_job(client, users, make_user, tree):
    client.force_login(users["worker_a"])
    assert client.get("/imports/cases/").status_code == 403
    assert upload(client, b"x").status_code == 403
    client.force_login(users["street"])
    upload(client, (SAMPLES / "hotline12345.csv").read_bytes())
    job = ImportJob.objects.get()
    other = make_user("street2", "street", tree.street)
    client.force_login(other)
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.post(f"/imports/{job.pk}/start").status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEW
    outsider = make_user("hanfeng", "street", tree.other_street)
    client.force_login(outsider)
    assert upload(client, (SAMPLES / "hotline12345.csv").read_bytes()).status_code == 400  # grid A is not in its scope


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_real_worker_process_runs_the_import(client, users, settings):
    from tests.test_worker import _env_for_test_database

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(users["street"])
    upload(client, (SAMPLES / "szcg_gbk.csv").read_bytes(), name="szcg.csv", preset="szcg")
    job = ImportJob.objects.get()
    client.post(f"/imports/{job.pk}/start")
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED and not Case.objects.exists()
    assert "排队中" in client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()

    env = _env_for_test_database() | {"YIWANG_MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    subprocess.run([sys.executable, "-m", "yiwang.manage", "worker", "--batch", "-v", "0"], env=env, check=True, timeout=180)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert Case.objects.filter(external_source="szcg").count() == 4
