"""The real background worker: `yiwang worker --batch` (django-tasks-db's db_worker) in another
process delivers what a committed transition queued."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.cases.conftest import POINT_A


def _env_for_test_database() -> dict:
    db = connection.settings_dict
    env = {**os.environ}
    if db["ENGINE"].endswith("sqlite3"):
        env.pop("DATABASE_URL", None)
        env["YIWANG_SQLITE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_process_delivers_notifications(tree, users, settings):
    from django_tasks_db.models import DBTaskResult

    from yiwang.cases.models import Channel
    from yiwang.cases.services import Report, report_case
    from yiwang.matters.models import MatterType
    from yiwang.notify.models import Notification

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    matter = MatterType.objects.get(kind="community", code="S0001")
    case = report_case(Report(channel=Channel.DESK, matter=matter, lon=POINT_A[0], lat=POINT_A[1], description="楼道堆物"), acting_user=users["community"]).case
    assert DBTaskResult.objects.filter(status="READY").exists()
    assert not Notification.objects.filter(case=case).exists()  # queued, not yet delivered

    subprocess.run([sys.executable, "-m", "yiwang.manage", "worker", "--batch", "-v", "0"], env=_env_for_test_database(), check=True, timeout=120)

    assert set(Notification.objects.filter(case=case).values_list("user__username", flat=True)) == {"community", "street", "district"}
    deliveries = DBTaskResult.objects.filter(task_path__endswith="deliver_case_event")
    assert deliveries.filter(status="SUCCESSFUL").exists() and not deliveries.exclude(status="SUCCESSFUL").exists()
    assert DBTaskResult.objects.filter(task_path__endswith="sweep_deadlines", status="SUCCESSFUL").exists()
