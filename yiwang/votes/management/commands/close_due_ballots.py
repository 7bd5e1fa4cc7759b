"""`yiwang close_due_ballots`: write down the close (and publication) of ballots past their time.

Pages already treat such ballots as closed; this records it (status, closed_at, the audit entry),
for a cron job or by hand; the deadline sweep also calls `yiwang.votes.services.close_due_ballots`."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Close (and publish, when the ballot says so) every open ballot past its closing time."

    def handle(self, *args, **options):
        from yiwang.votes.services import close_due_ballots

        closed = close_due_ballots()
        self.stdout.write(f"closed {closed} ballot(s)")
