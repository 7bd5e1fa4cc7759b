from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridworkConfig(AppConfig):
    name = "yiwang.gridwork"
    verbose_name = _("网格日常")

    def ready(self) -> None:
        from yiwang.registry.access import add_need_to_know

        from .need_to_know import persons_met

        add_need_to_know(persons_met)
