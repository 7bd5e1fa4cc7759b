from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "yiwang.volunteers"
    verbose_name = "双报到与志愿服务"
