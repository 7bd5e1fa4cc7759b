from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.points.services import ensure_rules

    ensure_rules(apps.get_model("points", "PointRule"))


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
