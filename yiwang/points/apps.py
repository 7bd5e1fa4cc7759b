from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "yiwang.points"
    verbose_name = "网格员积分"
