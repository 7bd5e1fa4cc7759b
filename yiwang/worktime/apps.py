from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs) -> None:
    # Also after a test flush, which empties the tables a data migration filled. Idempotent: only
    # what is missing is created.
    from .calendar import seed_from_chinesecalendar

    seed_from_chinesecalendar()


class WorktimeConfig(AppConfig):
    name = "yiwang.worktime"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        post_migrate.connect(_seed, sender=self, dispatch_uid="worktime.seed")
