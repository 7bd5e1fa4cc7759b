from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "yiwang.links"
    verbose_name = "联点包片"
