from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "yiwang.regions"
    label = "regions"
    verbose_name = "区域网格"

    def ready(self) -> None:
        from . import signals

        signals.connect()
