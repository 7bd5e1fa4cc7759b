from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "yiwang.campaigns"
    verbose_name = "专项排查"
