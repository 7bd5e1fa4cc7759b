from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "yiwang.activities"
    verbose_name = "活动与场地"
