from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.matters.catalogue import ensure

    ensure(apps.get_model("matters", "MatterType"), apps.get_model("matters", "MatterTypeVersion"))


class Migration(migrations.Migration):
    dependencies = [("matters", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
