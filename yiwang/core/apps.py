from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiwang.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
        from . import jobs, tasks  # noqa: F401  (tasks registers the sweep as a standing task)

        # Every app's jobs.py registers its periodic jobs and standing tasks (core.jobs).
        jobs.discover()
