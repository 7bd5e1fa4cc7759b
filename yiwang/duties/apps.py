from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutiesConfig(AppConfig):
    name = "yiwang.duties"
    verbose_name = _("清单管理")
