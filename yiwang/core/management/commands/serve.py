import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Yiwang with gunicorn (sync workers, persistent database connections)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("YIWANG_WORKERS", "3")))
        parser.add_argument("--no-background", action="store_true", help="do not start the background worker beside the web server")

    def handle(self, *args, host, port, workers, no_background, **options):
        if not no_background:
            # The deadline sweep and notifications run in a db_worker beside gunicorn; it shares
            # the terminal's process group, so Ctrl-C stops both.
            subprocess.Popen([sys.executable, "-m", "yiwang.manage", "worker"])
        self.stdout.write(f"Yiwang on http://{host}:{port}/ ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})")
        os.execvp(
            sys.executable,
            [sys.executable, "-m", "gunicorn", "yiwang.wsgi:application", "--bind", f"{host}:{port}",
             "--workers", str(workers), "--preload", "--access-logfile", "-", "--timeout", "120"],
        )
