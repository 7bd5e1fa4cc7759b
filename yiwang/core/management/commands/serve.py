import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Yiwang with gunicorn (sync workers, persistent database connections)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("YIWANG_WORKERS", "3")))

    def handle(self, *args, host, port, workers, **options):
        self.stdout.write(f"Yiwang on http://{host}:{port}/ ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})")
        os.execvp(
            sys.executable,
            [sys.executable, "-m", "gunicorn", "yiwang.wsgi:application", "--bind", f"{host}:{port}",
             "--workers", str(workers), "--access-logfile", "-", "--timeout", "120"],
        )
