from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulatorConfig(AppConfig):
    name = "yiwang.simulator"
    verbose_name = _("推演")
    default_auto_field = "django.db.models.BigAutoField"
