from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "yiwang.notify"
    verbose_name = _("消息通知")
