from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    verbose_name = "事件办理"
