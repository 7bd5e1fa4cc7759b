import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_kept_photo'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SubmissionKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.UUIDField(verbose_name='提交标识')),
                ('kind', models.CharField(max_length=32, verbose_name='类型')),
                ('object_id', models.BigIntegerField(verbose_name='创建的对象')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL, verbose_name='提交人')),
            ],
            options={
                'verbose_name': '表单提交标识',
                'verbose_name_plural': '表单提交标识',
                'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='submission_key_once_per_user')],
            },
        ),
    ]
