"""The real path: a report requested on the page is queued, a separate `yiwang worker --batch`
process (django-tasks-db's db_worker) produces it, and the page then offers its files."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from tests.reviews.test_weekly import WEEK
from tests.test_worker import _env_for_test_database
from yiwang.reviews.models import ReportStatus, WeeklyReport


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_process_produces_the_report(client, users, tree, make_case, settings):
    from django_tasks_db.models import DBTaskResult

    from tests.reviews.conftest import at
    from yiwang.cases.models import Status

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    make_case(Status.CLOSED, reported_at=at(2026, 3, 10, 9), close_due_at=at(2026, 3, 12, 9), closed_at=at(2026, 3, 11, 9))
    client.force_login(users["street"])
    response = client.post("/reviews/weekly/request/", {"region": tree.street.code, "week_start": WEEK.isoformat()})
    assert response.status_code == 302
    report = WeeklyReport.objects.get()
    assert report.status == ReportStatus.QUEUED and "排队中" in client.get("/reviews/").content.decode()

    env = _env_for_test_database() | {"YIWANG_MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    subprocess.run([sys.executable, "-m", "yiwang.manage", "worker", "--batch", "-v", "0"], env=env, check=True, timeout=180)

    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    task = DBTaskResult.objects.get(task_path="yiwang.reviews.tasks.generate_weekly_report")
    assert task.status == "SUCCESSFUL" and task.return_value == "done"
    assert report.figures["kpis"][0] == {"key": "cases", "label": "上报事件", "kind": "count", "this": 1, "last": 0, "change": 1}
    xlsx = client.get(f"/reviews/weekly/{report.pk}/xlsx/")
    assert load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))["本周指标"]["B2"].value == 1
    assert b"".join(client.get(f"/reviews/weekly/{report.pk}/pdf/").streaming_content).startswith(b"%PDF-")
