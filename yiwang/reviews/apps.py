from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "yiwang.reviews"
    verbose_name = _("督导与调度")
