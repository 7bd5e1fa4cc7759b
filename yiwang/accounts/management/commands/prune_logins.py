from django.conf import settings
from django.core.management.base import BaseCommand

from yiwang.accounts.services import prune_login_events


class Command(BaseCommand):
    help = "Delete login events older than YIWANG_LOGIN_LOG_DAYS (the background sweep does this too)."

    def handle(self, *args, **options):
        deleted = prune_login_events()
        self.stdout.write(f"deleted {deleted} login events older than {settings.YIWANG_LOGIN_LOG_DAYS} days")
