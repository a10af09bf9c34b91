from django.core.management.base import BaseCommand, CommandError

from assessor.bank import bank_yaml
from assessor.management.input import text_argument
from assessor.models import Questionnaire


class Command(BaseCommand):
    help = (
        "Print a questionnaire version as YAML in the shipped bank's format (default: the "
        "published one). load_questionnaire reads it back as a new version."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names a questionnaire version here, replacing Django's own --version.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--version", dest="bank_version", help="version label to export")

    def handle(self, *args, bank_version=None, **options):
        if bank_version:
            text_argument("--version", bank_version)
            questionnaire = Questionnaire.objects.filter(version=bank_version).first()
            if questionnaire is None:
                raise CommandError(f"--version: no version {bank_version!r}", returncode=2)
        else:
            questionnaire = Questionnaire.current()
            if questionnaire is None:
                raise CommandError("no published version; give --version", returncode=2)
        self.stdout.write(bank_yaml(questionnaire), ending="")
