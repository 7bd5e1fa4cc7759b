from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.registry.component_types import ensure

    ensure(apps.get_model("registry", "ComponentType"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
