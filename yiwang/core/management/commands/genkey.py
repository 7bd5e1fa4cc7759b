import base64
import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new random key for YIWANG_FIELD_KEY (32 bytes, base64)."
    # It makes the keys the checks ask for; warning about their absence here is noise.
    requires_system_checks = []

    def handle(self, *args, **options):
        self.stdout.write(base64.b64encode(os.urandom(32)).decode())
