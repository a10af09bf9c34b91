from django.core.management.base import BaseCommand

from assessor.notify.tasks import SCHEDULES, schedules_ensure


class Command(BaseCommand):
    help = (
        "Create or update the task queue's schedules (deliver pending notifications every "
        "minute, the daily review sweep, the weekly digest). Safe to run at every deploy."
    )

    def handle(self, *args, **options):
        created = schedules_ensure()
        for name in SCHEDULES:
            state = "created" if name in created else "up to date"
            self.stdout.write(f"{name}: {state}")
