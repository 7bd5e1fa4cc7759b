from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AbRolesConfig(AppConfig):
    name = "yiwang.ab_roles"
    verbose_name = _("AB角")
