"""Device alerts in the common shape: a device's registered place may be a registry component, the
merge window falls back to the site's setting, and each alert keeps the time the device raised it."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, Q


def raised_when_received(apps, schema_editor):
    apps.get_model("cases", "DeviceAlert").objects.update(raised_at=F("received_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_chinese_punctuation"),
        ("registry", "0005_chinese_punctuation"),
    ]

    operations = [
        migrations.AddField(
            model_name="device", name="component",
            field=models.ForeignKey(blank=True, help_text="设备安装所在的部件；告警未带位置时取其位置", null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+", to="registry.component", verbose_name="登记部件"),
        ),
        migrations.AlterField(model_name="device", name="lon", field=models.FloatField(blank=True, null=True, verbose_name="经度")),
        migrations.AlterField(model_name="device", name="lat", field=models.FloatField(blank=True, null=True, verbose_name="纬度")),
        migrations.AlterField(
            model_name="device", name="merge_window_minutes",
            field=models.PositiveIntegerField(blank=True, help_text="留空则用全站设置", null=True, verbose_name="合并窗口（分钟）"),
        ),
        migrations.AddConstraint(
            model_name="device",
            constraint=models.CheckConstraint(condition=Q(component__isnull=False) | Q(lat__isnull=False, lon__isnull=False), name="device_has_a_place"),
        ),
        migrations.AddField(model_name="devicealert", name="raised_at", field=models.DateTimeField(null=True, verbose_name="告警时间")),
        migrations.RunPython(raised_when_received, migrations.RunPython.noop),
        migrations.AlterField(model_name="devicealert", name="raised_at", field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="告警时间")),
    ]
