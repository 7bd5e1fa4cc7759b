from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "yiwang.regions"
    label = "regions"
    verbose_name = _("区域网格")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from . import basemap, signals  # noqa: F401 (basemap registers its settings check)

        signals.connect()
        # Each app that keeps people declares its figures and people on duty for the map.
        autodiscover_modules("region_summary")
