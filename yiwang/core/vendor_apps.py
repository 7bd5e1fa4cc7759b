"""The third-party apps under Chinese names in the admin.

An app's name comes from its AppConfig, so each is installed through a subclass here (settings'
INSTALLED_APPS names these classes). Model and field names the apps mark for translation are
translated in our catalogues; `VENDOR_WORDS` lists them so that makemessages keeps those entries.
django-otp's device names are plain strings, not translatable: `chinese_app_list` renames them in the
admin's index and menu. Nothing here changes a model, so no migration follows."""

from axes.apps import AppConfig as AxesConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticDeviceConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPDeviceConfig
from django_tasks_db.apps import TasksAppConfig


class TaskResultsConfig(TasksAppConfig):
    verbose_name = _("后台任务")


class LoginLockoutConfig(AxesConfig):
    verbose_name = _("登录锁定")


class TOTPConfig(TOTPDeviceConfig):
    verbose_name = _("动态口令")


class RecoveryCodesConfig(StaticDeviceConfig):
    verbose_name = _("备用恢复码")


# Model, field and column names the apps mark with gettext, as they show in the admin's lists.
VENDOR_WORDS = (
    gettext_noop("Task Result"), gettext_noop("Task Results"), gettext_noop("status"), gettext_noop("enqueued at"),
    gettext_noop("started at"), gettext_noop("finished at"), gettext_noop("args kwargs"), gettext_noop("priority"),
    gettext_noop("task path"), gettext_noop("worker id"), gettext_noop("queue name"), gettext_noop("backend name"),
    gettext_noop("run after"), gettext_noop("return value"), gettext_noop("exception class path"), gettext_noop("traceback"),
    gettext_noop("access attempt"), gettext_noop("access attempts"), gettext_noop("access failure"), gettext_noop("access failures"),
    gettext_noop("access log"), gettext_noop("access logs"), gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"), gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("Username"),
    gettext_noop("HTTP Accept"), gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("Access lock out"),
    gettext_noop("GET Data"), gettext_noop("POST Data"), gettext_noop("Failed Logins"), gettext_noop("Expires At"),
    gettext_noop("Logout Time"), gettext_noop("Locked Out"), gettext_noop("Form Data"), gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"), gettext_noop("Not set"), gettext_noop("Attempt Remaining"),
)

# django-otp names its models with plain strings; the admin's index shows these instead.
UNTRANSLATABLE_MODEL_NAMES = {
    ("otp_totp", "TOTPDevice"): _("动态口令设备"),
    ("otp_static", "StaticDevice"): _("恢复码设备"),
}


def chinese_app_list(site) -> None:
    """Rename the models in `site`'s index and menu whose own names cannot be translated."""
    build = site.get_app_list

    def get_app_list(request, app_label=None):
        apps = build(request, app_label)
        for app in apps:
            for model in app["models"]:
                name = UNTRANSLATABLE_MODEL_NAMES.get((app["app_label"], model["object_name"]))
                if name is not None:
                    model["name"] = name
        return apps

    site.get_app_list = get_app_list
