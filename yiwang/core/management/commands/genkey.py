import base64
import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new random key for YIWANG_FIELD_KEY (32 bytes, base64)."

    def handle(self, *args, **options):
        self.stdout.write(base64.b64encode(os.urandom(32)).decode())
