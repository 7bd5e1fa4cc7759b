"""Any number of background workers on one queue: every task runs exactly once, and starting several
workers at the same moment queues one chain of each standing task, not one per worker.

Real `yiwang worker --batch` processes (django-tasks-db's db_worker), each with its own connection, on
the test database: on PostgreSQL they claim rows with SELECT … FOR UPDATE SKIP LOCKED; on SQLite the
claim is a write, and the database's one write lock orders them. Both run here."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3
TASKS = 36


def _env_for_test_database() -> dict:
    db = connection.settings_dict
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if db["ENGINE"].endswith("sqlite3"):
        env.pop("DATABASE_URL", None)
        env["YIWANG_SQLITE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    # The workers read the primary only (a replica alias would be a second database they do not need).
    env.pop("YIWANG_DATABASE_REPLICA_URL", None)
    env.pop("YIWANG_TEST_REPLICA_URL", None)
    return env


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_on_one_queue_run_each_task_once(settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    from tests.worker_probe import record_run
    from yiwang.core.tasks import sweep_deadlines

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    runs = tmp_path / "runs.txt"
    for number in range(TASKS):
        record_run.enqueue(str(runs), number, 0.05)

    workers = [subprocess.Popen([sys.executable, "-m", "yiwang.manage", "worker", "--batch", "-v", "0"], cwd=ROOT,
                                env=_env_for_test_database(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(WORKERS)]
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-2000:]

    lines = runs.read_text().split()
    numbers = Counter(int(n) for n in lines[0::2])
    assert numbers == Counter(range(TASKS)), "a task ran twice or not at all"
    probes = DBTaskResult.objects.filter(task_path=record_run.module_path)
    assert probes.count() == TASKS and set(probes.values_list("status", flat=True)) == {"SUCCESSFUL"}
    # Three workers started together queued one sweep between them: it ran once and booked the next one.
    sweeps = DBTaskResult.objects.filter(task_path=sweep_deadlines.module_path)
    assert sweeps.filter(status="SUCCESSFUL").count() == 1
    assert sweeps.filter(status__in=["READY", "RUNNING"]).count() == 1
