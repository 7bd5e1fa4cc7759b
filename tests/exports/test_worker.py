"""The real path: an export asked for on the page is queued, a separate `yiwang worker --batch`
process (django-tasks-db's db_worker) writes it, and the page then offers the file to its owner."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.exports.helpers import job_from_redirect
from tests.test_worker import _env_for_test_database
from yiwang.exports.models import ExportStatus
from yiwang.registry.exports import export_queryset, export_registry


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_process_writes_the_export(client, users, tree, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for region in (tree.grid_a, tree.grid_a, tree.grid_b):
        factories.person(region)
    client.force_login(users["community"])
    job = job_from_redirect(client.post("/registry/export/persons.xlsx"))
    assert job.status == ExportStatus.QUEUED and "排队中" in client.get("/exports/").content.decode()

    env = _env_for_test_database() | {"YIWANG_MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    subprocess.run([sys.executable, "-m", "yiwang.manage", "worker", "--batch", "-v", "0"], env=env, check=True, timeout=180)

    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, (job.failure, job.error)
    assert (job.progress, job.rows_written) == (100, 3)
    task = DBTaskResult.objects.get(task_path="yiwang.exports.tasks.run_export_job")
    assert task.status == "SUCCESSFUL" and task.return_value == "done"
    # The worker also keeps the pruning of old files booked.
    assert DBTaskResult.objects.filter(task_path="yiwang.exports.tasks.prune_exports").exists()
    download = client.get(f"/exports/{job.pk}/download")
    rows = list(load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.iter_rows(values_only=True))
    expected = export_registry("persons", queryset=export_queryset("persons", user=users["community"]))
    assert rows == list(load_workbook(io.BytesIO(expected)).active.iter_rows(values_only=True)) and len(rows) == 4
