from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.worktime.calendar import seed_from_chinesecalendar

    seed_from_chinesecalendar(special_day_model=apps.get_model("worktime", "SpecialDay"), year_model=apps.get_model("worktime", "CalendarYear"))


class Migration(migrations.Migration):
    dependencies = [("worktime", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
