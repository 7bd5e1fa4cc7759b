from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "yiwang.analysis"
    verbose_name = _("分析研判")
