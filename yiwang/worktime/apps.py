from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "yiwang.worktime"
    verbose_name = "工作日历"
