# Care plans' groups onto GB/T 31000-2015's codes, with the registry's tags.

from django.db import migrations, models

from yiwang.registry.groups import MOVED_BACK, MOVED_TO_GBT31000, refuse_unmappable, rekey


def to_gbt31000(apps, schema_editor):
    """Care plans follow the registry's groups onto GB/T 31000's codes (registry 0006)."""
    rekey(apps.get_model("gridwork", "CarePlan"), "group", MOVED_TO_GBT31000, together=("region_id",))


def back_to_old_keys(apps, schema_editor):
    plan = apps.get_model("gridwork", "CarePlan")
    refuse_unmappable(plan, "group")
    rekey(plan, "group", MOVED_BACK, together=("region_id",))


class Migration(migrations.Migration):

    dependencies = [
        ('gridwork', '0004_record_photos'),
        ('registry', '0006_gbt31000_groups'),
    ]

    operations = [
        migrations.AlterField(
            model_name='careplan',
            name='group',
            field=models.CharField(choices=[('TS01', '刑满释放人员'), ('TS02', '社区矫正对象'), ('TS03', '严重精神障碍患者'), ('TS04', '吸毒人员'), ('TS05', '艾滋病危险人员'), ('QS01', '闲散青少年'), ('QS02', '有不良行为青少年'), ('QS03', '流浪乞讨未成年人'), ('QS04', '服刑在教人员未成年子女'), ('QS05', '农村留守儿童'), ('QS99', '其他重点青少年'), ('elderly_alone', '独居老人'), ('empty_nest', '空巢老人'), ('disabled', '残疾人'), ('low_income', '低保对象'), ('special_hardship', '特困人员'), ('veteran', '退役军人')], max_length=32, verbose_name='重点人群'),
        ),
        migrations.RunPython(to_gbt31000, back_to_old_keys),
    ]
