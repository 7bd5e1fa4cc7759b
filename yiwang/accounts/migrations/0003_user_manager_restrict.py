# The user manager gains restrict() (accounts looked up within the caller's scope); no schema change.

import yiwang.accounts.models
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_person"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", yiwang.accounts.models.ScopedUserManager()),
            ],
        ),
    ]
