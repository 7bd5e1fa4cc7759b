from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "yiwang.analysis"
    verbose_name = "分析研判"
