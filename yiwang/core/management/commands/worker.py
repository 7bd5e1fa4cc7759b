from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (django-tasks-db): notifications, webhooks, the sweep of periodic jobs and each app's standing tasks."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")

    def handle(self, *args, batch, **options):
        from yiwang.core import jobs

        # The sweep (core.tasks) and the apps' own chains (e.g. export pruning), registered in their jobs.py.
        for standing in jobs.standing_tasks():
            if standing.ensure():
                self.stdout.write(f"{standing.label} scheduled")
        call_command("db_worker", queue_name="*", batch=batch, reload=False, startup_delay=False, verbosity=options["verbosity"])
