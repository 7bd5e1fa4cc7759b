from django.core.management.base import BaseCommand

from yiwang.gridwork import counters
from yiwang.registry import heat


class Command(BaseCommand):
    help = "Recount the kept counters about persons (care coverage, key-person heat) from the registry, visits and plans."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", required=True, help="drop and recount every counter row")

    def handle(self, *args, rebuild: bool, **options):
        counted = counters.rebuild()
        self.stdout.write(self.style.SUCCESS(f"care counters rebuilt from {counted} persons under a plan"))
        key_persons = heat.rebuild()
        self.stdout.write(self.style.SUCCESS(f"heat counters rebuilt from {key_persons} key persons"))
