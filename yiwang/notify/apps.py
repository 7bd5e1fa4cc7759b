from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "yiwang.notify"
    verbose_name = "消息通知"
