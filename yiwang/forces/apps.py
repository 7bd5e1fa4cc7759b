from django.apps import AppConfig


class ForcesConfig(AppConfig):
    name = "yiwang.forces"
    label = "forces"
    verbose_name = "网格力量"
