from django.apps import AppConfig


class PointsbankConfig(AppConfig):
    name = "yiwang.pointsbank"
    verbose_name = "积分银行"
