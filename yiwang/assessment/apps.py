from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "yiwang.assessment"
    verbose_name = "考评与评优"
