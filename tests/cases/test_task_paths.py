"""A notice queued before an upgrade is still delivered: the migration that follows the tasks to
their new modules points waiting rows at functions that import."""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from django.utils.module_loading import import_string

migration = import_module("yiwang.cases.migrations.0010_queued_tasks_follow_their_new_homes")


@pytest.mark.django_db
def test_waiting_tasks_under_old_paths_point_at_importable_tasks_and_finished_ones_stay():
    from django_tasks_db.models import DBTaskResult

    def row(path, status):
        return DBTaskResult.objects.create(task_path=path, status=status, args_kwargs={"args": [1], "kwargs": {}},
                                           priority=0, queue_name="default", backend_name="default", run_after=timezone.now())

    waiting = {old: row(old, "READY") for old in migration.MOVED}
    done = row("yiwang.notify.tasks.deliver_case_event", "SUCCESSFUL")
    migration.forwards(apps, None)
    for old, result in waiting.items():
        result.refresh_from_db()
        assert result.task_path == migration.MOVED[old]
        assert callable(import_string(result.task_path).call)
    done.refresh_from_db()
    assert done.task_path == "yiwang.notify.tasks.deliver_case_event"
