from django.db import migrations


def rename(apps, schema_editor):
    from yiwang.worktime.calendar import chinese_name

    SpecialDay = apps.get_model("worktime", "SpecialDay")
    for row in SpecialDay.objects.all().only("pk", "name"):
        name = chinese_name(row.name)
        if name != row.name:
            SpecialDay.objects.filter(pk=row.pk).update(name=name)


class Migration(migrations.Migration):
    """Days seeded from chinesecalendar carried its English names; the calendar speaks Chinese."""

    dependencies = [("worktime", "0002_seed_calendar")]
    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
