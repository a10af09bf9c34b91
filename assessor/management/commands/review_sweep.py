import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone

from assessor.evidence.services import evidence_expiry_sweep
from assessor.oversight.cycle import review_cycle_sweep
from assessor.oversight.models import ReviewCycle


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--now: {value[:40]!r} is not a date in the form YYYY-MM-DD", returncode=2
        ) from None


class Command(BaseCommand):
    help = (
        "Move every approval's review cycle to the state the clock puts it in (current, due, "
        "overdue, lapsed), announcing each change once. The task queue runs it daily; --now "
        "moves the clock (for a demonstration or a test)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            metavar="YYYY-MM-DD",
            help="Sweep as if today were this date (default: today).",
        )

    def handle(self, *args, now, **options):
        when = None
        if now is not None:
            # noon, local time: the day is the same in every zone a few hours either side
            when = timezone.make_aware(dt.datetime.combine(_day(now), dt.time(12)))
            latest = (
                ReviewCycle.objects.exclude(state=ReviewCycle.State.CURRENT)
                .aggregate(latest=Max("state_since"))
                .get("latest")
            )
            if latest is not None and when < latest:
                self.stdout.write(
                    f"Note: {now} is before the last state change ({timezone.localdate(latest)}). "
                    "The sweep moves states only forward: none moves back, and only cycles "
                    "behind this earlier clock move."
                )
        counts = review_cycle_sweep(now=when)
        day = timezone.localdate(when or timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Review sweep for {day}: {counts['opened']} cycle(s) opened; moved to due "
                f"{counts['due']}, overdue {counts['overdue']}, lapsed {counts['lapsed']}."
            )
        )
        asked = evidence_expiry_sweep(day)
        self.stdout.write(f"Expired evidence: {len(asked)} re-review(s) requested.")
        for reason in asked:
            self.stdout.write(f"  {reason}")
