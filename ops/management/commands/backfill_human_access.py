from django.core.management.base import BaseCommand, CommandError

from ops.history import HISTORY_DAYS, human_access_backfill


class Command(BaseCommand):
    help = (
        "Compute the always-a-human history (ops.DailyHumanAccess) of the last N days from "
        "the tickets; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=HISTORY_DAYS)

    def handle(self, *args, days: int, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        written = human_access_backfill(days=days)
        self.stdout.write(f"{written} row(s) of the last {days} day(s) computed.")
