from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllianceConfig(AppConfig):
    name = "yiwang.alliance"
    verbose_name = _("党建联盟")
