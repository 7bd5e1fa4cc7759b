from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs) -> None:
    # Also after a test flush, which empties the tables a data migration filled. Idempotent: only
    # what is missing is created.
    from .catalogue import ensure

    ensure()


class MattersConfig(AppConfig):
    name = "yiwang.matters"
    verbose_name = _("事项清单")

    def ready(self) -> None:
        post_migrate.connect(_seed, sender=self, dispatch_uid="matters.seed")
