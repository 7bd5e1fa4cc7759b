from django.apps import AppConfig


class AbRolesConfig(AppConfig):
    name = "yiwang.ab_roles"
    verbose_name = "AB角"
