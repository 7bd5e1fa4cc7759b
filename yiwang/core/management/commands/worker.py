import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Run the background worker (django-tasks-db): notifications, webhooks, the sweep of periodic jobs, each app's standing "
            "tasks, and the apps' folders (the case rollups' deltas) every YIWANG_FOLD_SECONDS.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")

    def handle(self, *args, batch, **options):
        from yiwang.core import jobs

        # The sweep (core.tasks) and the apps' own chains (e.g. export pruning), registered in their jobs.py.
        # Any number of workers may start at once: each looks and queues under one lock, so only the
        # first queues a chain and the others find it queued (yiwang/core/dblock.py).
        from yiwang.core.dblock import exclusive

        for standing in jobs.standing_tasks():
            with exclusive(f"yiwang.standing-task:{standing.label}"):
                queued = standing.ensure()
            if queued:
                self.stdout.write(f"{standing.label} scheduled")
        if batch:
            jobs.run_folders()
        else:
            # Folders run in their own thread at their own pace (every second), not as queued tasks:
            # a task row a second would fill the task table, and a long job must not hold them up.
            threading.Thread(target=_fold_forever, name="yiwang-folders", daemon=True).start()
        call_command("db_worker", queue_name="*", batch=batch, reload=False, startup_delay=False, verbosity=options["verbosity"])


def _fold_forever() -> None:
    from yiwang.core import jobs

    stop = threading.Event()
    while not stop.wait(settings.YIWANG_FOLD_SECONDS):
        try:
            jobs.run_folders()
        except Exception:  # a database hiccup: the next round tries again, nothing is lost (one transaction per fold)
            log.exception("folding failed")
        finally:
            close_old_connections()
