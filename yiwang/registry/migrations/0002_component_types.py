from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.registry.component_types import CLASSES, TYPES

    ComponentType = apps.get_model("registry", "ComponentType")
    for code, name in TYPES:
        ComponentType.objects.update_or_create(
            code=code, defaults={"name": name, "class_code": code[:2], "class_name": CLASSES[code[:2]]}
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
