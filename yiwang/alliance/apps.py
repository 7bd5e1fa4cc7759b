from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "yiwang.alliance"
    verbose_name = "党建联盟"
