from django.core.management.base import BaseCommand

from yiwang.cases import rollups


class Command(BaseCommand):
    help = "Recount the case rollups from the case table (after a region move, a restore or a bulk delete)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", required=True, help="drop and recount every rollup row")

    def handle(self, *args, rebuild: bool, **options):
        counted = rollups.rebuild()
        self.stdout.write(self.style.SUCCESS(f"rollups rebuilt from {counted} cases"))
