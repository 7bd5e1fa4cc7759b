from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs) -> None:
    # Also after a test flush, which empties the tables a data migration filled. Idempotent: only
    # what is missing is created.
    from .services import ensure_rules

    ensure_rules()


class PointsConfig(AppConfig):
    name = "yiwang.points"
    verbose_name = _("网格员积分")

    def ready(self) -> None:
        post_migrate.connect(_seed, sender=self, dispatch_uid="points.seed")
