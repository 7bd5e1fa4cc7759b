from django.apps import AppConfig


class CommandConfig(AppConfig):
    name = "yiwang.command"
    label = "command"
    verbose_name = "指挥中心"
