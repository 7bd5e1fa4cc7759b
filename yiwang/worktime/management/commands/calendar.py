from django.core.management.base import BaseCommand, CommandError

from yiwang.worktime.selectors import year_listing


class Command(BaseCommand):
    help = ("Print a year's working calendar: the first line is the year and its status, 国务院通知 or 暂定; then one "
            "line per holiday or make-up working day: date, 休|班, name, and its source: chinesecalendar, 通知 or 暂定.")

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)

    def handle(self, *args, year: int, **options):
        if not 1900 <= year <= 2100:
            raise CommandError(f"year {year}: give a year between 1900 and 2100")
        listing = year_listing(year)
        self.stdout.write(f"{listing.year}\t{listing.status}")
        for day in listing.days:
            self.stdout.write(f"{day.date.isoformat()}\t{day.kind}\t{day.name}\t{day.source}")
