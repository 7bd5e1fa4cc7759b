from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    verbose_name = _("事件办理")

    def ready(self):
        from django.db.models.signals import post_delete

        from . import rollups
        from .models import Case

        post_delete.connect(rollups.case_deleted, sender=Case, dispatch_uid="case_rollups_on_delete")
