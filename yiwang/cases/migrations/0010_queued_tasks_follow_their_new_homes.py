"""Tasks queued before an upgrade name the functions where they used to live: case notices were
`yiwang.notify.tasks.deliver_case_event` and the periodic sweep `yiwang.cases.tasks.sweep_deadlines`.
A queued notice must still be delivered, so the rows waiting to run point at the new homes."""

from django.db import migrations

MOVED = {
    "yiwang.notify.tasks.deliver_case_event": "yiwang.cases.tasks.deliver_case_event",
    "yiwang.cases.tasks.sweep_deadlines": "yiwang.core.tasks.sweep_deadlines",
}


def forwards(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        results.objects.filter(task_path=old, status="READY").update(task_path=new)


def backwards(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        results.objects.filter(task_path=new, status="READY").update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_publication_moderation_and_photo_copies"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
