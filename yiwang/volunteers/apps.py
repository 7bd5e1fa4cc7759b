from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "yiwang.volunteers"
    verbose_name = _("双报到与志愿服务")
