from django.apps import AppConfig


class GridworkConfig(AppConfig):
    name = "yiwang.gridwork"
    verbose_name = "网格日常"
