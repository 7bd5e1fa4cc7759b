from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotesConfig(AppConfig):
    name = "yiwang.votes"
    verbose_name = _("投票与问卷")
