from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (django-tasks-db): notifications, webhooks and the deadline sweep."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")

    def handle(self, *args, batch, **options):
        from yiwang.cases.tasks import ensure_sweep_scheduled

        if ensure_sweep_scheduled():
            self.stdout.write("deadline sweep scheduled")
        from yiwang.exports.tasks import ensure_prune_scheduled

        if ensure_prune_scheduled():
            self.stdout.write("export pruning scheduled")
        call_command("db_worker", queue_name="*", batch=batch, reload=False, startup_delay=False, verbosity=options["verbosity"])
