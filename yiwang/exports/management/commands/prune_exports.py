from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Delete export files kept longer than YIWANG_EXPORT_KEEP_DAYS (the worker also does this every 15 minutes)."

    def handle(self, *args, **options):
        from yiwang.exports.services import prune_exports

        deleted = prune_exports()
        self.stdout.write(f"{deleted} export file(s) deleted")
