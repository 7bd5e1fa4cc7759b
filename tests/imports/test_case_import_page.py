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


def test_points_outside_the_importers_scope_land_in_the_chosen_grid(client, users, tree, make_user, django_capture_on_commit_callbacks):
    """A community's staff cannot move another street's figures: a point located there counts as in no
    grid of ours and goes to the grid the importer chose, with a warning naming the row."""
    from tests.conftest import rect
    from yiwang.regions import lookup
    from yiwang.regions.models import Level, Region

    # A neighbouring community of the same street, with a grid of its own.
    other = Region.objects.create(parent=tree.street, level=Level.COMMUNITY, code="500154003002", name="平桥社区",
                                  boundary=rect(108.32, 31.10, 108.34, 31.11))  # fmt: skip
    Region.objects.create(parent=other, level=Level.GRID, grid_kind="regular", code="500154003002001", name="平桥社区第1网格",
                          boundary=rect(108.32, 31.10, 108.34, 31.11), target_households=400)  # fmt: skip
    lookup.invalidate()
    community = make_user("yongxian", "community", tree.community)
    client.force_login(community)
    mapping = '{"lat": "纬度", "lon": "经度"}'
    header = "工单编号,来电时间,诉求内容,事件地址,承办单位,办理时限,办结时间,办理结果,满意度,纬度,经度\n"
    inside = "GD1,2026-03-02 09:15:22,楼道堆物,永先路1号,社区,2026-03-09 09:15:22,2026-03-05 16:40:00,已清理,满意,31.105,108.305\n"
    elsewhere = "GD2,2026-03-02 10:15:22,路面破损,平桥路,街道,2026-03-09 10:15:22,2026-03-05 16:40:00,已修复,满意,31.105,108.33\n"
    upload(client, (header + inside + elsewhere).encode(), mapping=mapping)
    job = ImportJob.objects.get()
    assert job.scope_path == tree.community.path and job.preview["rows"][0]["external_id"] == "GD1"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/start")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert dict(Case.objects.values_list("external_id", "region__code")) == {"GD1": GRID_A, "GD2": GRID_A}
    assert [(row, reason) for row, _, reason in job.warnings] == [(3, "坐标位于您的管辖范围之外，归入永先社区第1网格")]


def test_uploads_never_started_are_deleted_after_a_day(client, users):
    from datetime import timedelta

    from django.utils import timezone

    from yiwang.imports.services import prune_previews

    client.force_login(users["street"])
    upload(client, (SAMPLES / "hotline12345.csv").read_bytes())
    job = ImportJob.objects.get()
    stored = job.file.path
    assert prune_previews(now=timezone.now() + timedelta(hours=23)) == 0 and Path(stored).exists()
    assert prune_previews(now=timezone.now() + timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and not job.file and not Path(stored).exists()
    assert "未确认导入，文件已删除" in client.get(f"/imports/{job.pk}/").content.decode()
