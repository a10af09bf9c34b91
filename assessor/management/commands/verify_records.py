from django.core.management.base import BaseCommand, CommandError

from assessor.models import Assessment
from assessor.records.chain import chain_verify


class Command(BaseCommand):
    help = (
        "Recompute every reviewed record's hash chain from the rows as they are now. Exit 0 "
        "when every record matches its chain; 1, naming each record and what no longer "
        "matches (answers, status, stored PDF, history), when any does not."
    )

    def handle(self, *args, **options):
        verdicts = chain_verify(Assessment.objects.all())
        broken = [v for v in verdicts if not v.intact]
        unchained = [v for v in verdicts if v.unchained and v.intact]
        for verdict in unchained:
            self.stdout.write(f"{_name(verdict)}: no chain yet (reviewed before the chain existed)")
        for verdict in broken:
            self.stderr.write(f"{_name(verdict)}: {verdict.summary} ({'; '.join(verdict.details)})")
        chained = len(verdicts) - len(unchained)
        if broken:
            raise CommandError(
                f"{len(broken)} of {chained} chained records no longer match their hash chain.",
                returncode=1,
            )
        note = f", {len(unchained)} with no chain yet" if unchained else ""
        self.stdout.write(f"All {chained} chained records match their hash chain{note}.")


def _name(verdict) -> str:
    return f"Record {verdict.record.pk} {verdict.record.name!r}"
