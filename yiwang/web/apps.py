from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "yiwang.web"
    label = "web"
    verbose_name = "页面"
