from django.apps import AppConfig


class WishesConfig(AppConfig):
    name = "yiwang.wishes"
    verbose_name = "微心愿"
