from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "yiwang.regions"
    label = "regions"
    verbose_name = _("区域网格")

    def ready(self) -> None:
        from . import signals

        signals.connect()
