from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.matters.catalogue import ensure, upgrade_first_services

    matter, version = apps.get_model("matters", "MatterType"), apps.get_model("matters", "MatterTypeVersion")
    upgrade_first_services(matter, version)
    ensure(matter, version, apps.get_model("matters", "ServiceGuide"))


class Migration(migrations.Migration):
    dependencies = [("matters", "0004_service_guide")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
