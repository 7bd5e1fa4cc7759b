from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yiwang.accounts"
    label = "accounts"
    verbose_name = _("账号")

    def ready(self) -> None:
        from . import roles
        from .models import User

        # Runs after every app migrates, so the last run sees every permission.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="accounts.sync_role_groups")

        def role_changed(sender, instance, **kwargs):
            roles.apply_role(instance)

        post_save.connect(role_changed, sender=User, weak=False, dispatch_uid="accounts.role_changed")

        from axes.signals import user_locked_out
        from django.contrib.auth import signals as auth_signals

        from . import checks, signals  # noqa: F401 (checks registers itself)

        auth_signals.user_logged_in.connect(signals.logged_in, dispatch_uid="accounts.logged_in")
        auth_signals.user_login_failed.connect(signals.login_failed, dispatch_uid="accounts.login_failed")
        auth_signals.user_logged_out.connect(signals.logged_out, dispatch_uid="accounts.logged_out")
        user_locked_out.connect(signals.locked_out, dispatch_uid="accounts.locked_out")
