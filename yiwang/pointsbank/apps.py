from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs) -> None:
    # The data migration seeds the banks; this puts them back after a test flush empties the
    # tables. Idempotent.
    from .models import Bank, Dimension, Rule
    from .seed import ensure_banks

    ensure_banks(Bank, Dimension, Rule)


class PointsbankConfig(AppConfig):
    name = "yiwang.pointsbank"
    verbose_name = _("积分银行")

    def ready(self) -> None:
        post_migrate.connect(_seed, sender=self, dispatch_uid="pointsbank.seed")
