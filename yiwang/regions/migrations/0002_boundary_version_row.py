from django.db import migrations


def seed(apps, schema_editor):
    apps.get_model("regions", "BoundaryVersion").objects.get_or_create(pk=1, defaults={"version": 0})


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
