from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvisorConfig(AppConfig):
    name = "yiwang.advisor"
    verbose_name = _("网格优化")
