from django.apps import AppConfig


class MattersConfig(AppConfig):
    name = "yiwang.matters"
    verbose_name = "事项清单"
