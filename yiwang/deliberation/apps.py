from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    name = "yiwang.deliberation"
    verbose_name = "议事协商"
