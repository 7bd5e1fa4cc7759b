from django.apps import AppConfig


class DutiesConfig(AppConfig):
    name = "yiwang.duties"
    verbose_name = "清单管理"
