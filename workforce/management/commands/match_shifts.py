"""python manage.py match_shifts [--week YYYY-MM-DD] [--no-plan]

Runs what the periodic task runs, for one week, at once: the forecast and staffing
(unless --no-plan), then the matching, and prints the coverage of each slot.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workforce import calendar, forecast, offers, shifts


class Command(BaseCommand):
    help = "Forecast, staff and match one week of shifts now, and print coverage per slot."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="The Monday the week starts on; default: next week.")
        parser.add_argument(
            "--no-plan",
            action="store_true",
            help="Match the slots as they are, without recomputing demand and headcounts.",
        )

    def handle(self, *args, week: str | None, no_plan: bool, **options):
        now = timezone.now()
        try:
            week_start = calendar.parse_week(week) if week else calendar.next_week_start(now)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if not no_plan:
            forecast.week_demand_plan(week_start=week_start, now=now)
            shifts.shift_slots_plan(week_start=week_start)
        report = offers.shifts_match_week(week_start=week_start, now=now)
        self.stdout.write(f"Week of {week_start:%Y-%m-%d} (UTC)")
        self.stdout.write(f"{'slot':<32} {'staffed':>7} {'needed':>6} {'new offers':>10}")
        for row in report.coverage:
            slot = row.slot
            label = (
                f"{slot.starts_at:%a %d %b %H:%M}-{slot.ends_at:%H:%M} {slot.language}/{slot.skill}"
            )
            self.stdout.write(
                f"{label:<32} {row.staffed:>7} {row.headcount:>6} {row.offered_now:>10}"
            )
        share = 100 * report.staffed / report.required if report.required else 100.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Coverage {report.staffed}/{report.required} ({share:.1f}%); "
                f"{report.offers_made} offers made; solver {report.solver_seconds:.2f} s"
                f"{'' if report.proven_optimal else ' (not proven optimal)'}."
            )
        )
        for note in report.notes:
            self.stdout.write(f"note: {note}")
