from django.apps import AppConfig


class VotesConfig(AppConfig):
    name = "yiwang.votes"
    verbose_name = "投票与问卷"
