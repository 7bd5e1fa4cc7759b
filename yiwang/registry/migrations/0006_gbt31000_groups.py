# Person groups onto GB/T 31000-2015's classes (yiwang/registry/groups.toml); 实有人口 labels as the standard names them.

import django.db.models.deletion
from django.db import migrations, models

from yiwang.registry.groups import MOVED_BACK, MOVED_TO_GBT31000, refuse_unmappable, rekey


def to_gbt31000(apps, schema_editor):
    """Tags and grants move from our old keys to the codes of GB/T 31000's classes (groups.toml)."""
    rekey(apps.get_model("registry", "PersonTag"), "tag", MOVED_TO_GBT31000, together=("person_id",))
    rekey(apps.get_model("registry", "PersonAccessGrant"), "group", MOVED_TO_GBT31000)


def back_to_old_keys(apps, schema_editor):
    tag, grant = apps.get_model("registry", "PersonTag"), apps.get_model("registry", "PersonAccessGrant")
    refuse_unmappable(tag, "tag")
    refuse_unmappable(grant, "group")
    rekey(tag, "tag", MOVED_BACK, together=("person_id",))
    rekey(grant, "group", MOVED_BACK)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0005_chinese_punctuation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='person',
            name='address',
            field=models.CharField(blank=True, max_length=200, verbose_name='现住门（楼）详址'),
        ),
        migrations.AlterField(
            model_name='person',
            name='household',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='members', to='registry.household', verbose_name='户号'),
        ),
        migrations.AlterField(
            model_name='person',
            name='id_number_sealed',
            field=models.CharField(blank=True, editable=False, max_length=120, verbose_name='公民身份号码（密文）'),
        ),
        migrations.AlterField(
            model_name='person',
            name='phone_sealed',
            field=models.CharField(blank=True, editable=False, max_length=120, verbose_name='联系方式（密文）'),
        ),
        migrations.AlterField(
            model_name='person',
            name='residence_type',
            field=models.CharField(choices=[('registered', '户籍人口'), ('floating', '流动人口'), ('overseas', '境外人员'), ('unsettled', '未落户人员')], default='registered', max_length=16, verbose_name='人口类型'),
        ),
        migrations.AlterField(
            model_name='personaccessgrant',
            name='group',
            field=models.CharField(blank=True, choices=[('TS01', '刑满释放人员'), ('TS02', '社区矫正对象'), ('TS03', '严重精神障碍患者'), ('TS04', '吸毒人员'), ('TS05', '艾滋病危险人员'), ('QS01', '闲散青少年'), ('QS02', '有不良行为青少年'), ('QS03', '流浪乞讨未成年人'), ('QS04', '服刑在教人员未成年子女'), ('QS05', '农村留守儿童'), ('QS99', '其他重点青少年'), ('elderly_alone', '独居老人'), ('empty_nest', '空巢老人'), ('disabled', '残疾人'), ('low_income', '低保对象'), ('special_hardship', '特困人员'), ('veteran', '退役军人')], max_length=32, verbose_name='重点人群'),
        ),
        migrations.AlterField(
            model_name='persontag',
            name='tag',
            field=models.CharField(choices=[('TS01', '刑满释放人员'), ('TS02', '社区矫正对象'), ('TS03', '严重精神障碍患者'), ('TS04', '吸毒人员'), ('TS05', '艾滋病危险人员'), ('QS01', '闲散青少年'), ('QS02', '有不良行为青少年'), ('QS03', '流浪乞讨未成年人'), ('QS04', '服刑在教人员未成年子女'), ('QS05', '农村留守儿童'), ('QS99', '其他重点青少年'), ('elderly_alone', '独居老人'), ('empty_nest', '空巢老人'), ('disabled', '残疾人'), ('low_income', '低保对象'), ('special_hardship', '特困人员'), ('veteran', '退役军人')], help_text='GB/T 31000 的人员类别，或本地扩展（X）类别', max_length=32, verbose_name='重点人群'),
        ),
        migrations.RunPython(to_gbt31000, back_to_old_keys),
        migrations.AddConstraint(
            model_name='persontag',
            constraint=models.CheckConstraint(condition=models.Q(('tag__in', ['TS01', 'TS02', 'TS03', 'TS04', 'TS05', 'QS01', 'QS02', 'QS03', 'QS04', 'QS05', 'QS99', 'elderly_alone', 'empty_nest', 'disabled', 'low_income', 'special_hardship', 'veteran'])), name='registry_persontag_known_group'),
        ),
    ]
