from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    verbose_name = "事件办理"

    def ready(self):
        from django.db.models.signals import post_delete

        from . import rollups
        from .models import Case

        post_delete.connect(rollups.case_deleted, sender=Case, dispatch_uid="case_rollups_on_delete")
