from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs) -> None:
    # Also after a test flush, which empties the tables. Only missing rules are created, so edited
    # values stay.
    from .models import AssessmentRule
    from .scoring import DEFAULT_RULES

    for code, (label, value, note) in DEFAULT_RULES.items():
        AssessmentRule.objects.get_or_create(code=code, defaults={"label": label, "value": value, "note": note})


class AssessmentConfig(AppConfig):
    name = "yiwang.assessment"
    verbose_name = _("考评与评优")

    def ready(self) -> None:
        post_migrate.connect(_seed, sender=self, dispatch_uid="assessment.seed")
