from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinksConfig(AppConfig):
    name = "yiwang.links"
    verbose_name = _("联点包片")
