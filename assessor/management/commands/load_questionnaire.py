from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessor import bank
from assessor.bank.loading import questionnaire_load
from assessor.management.input import bank_document, operator_login
from assessor.models import Questionnaire


class Command(BaseCommand):
    help = (
        "Load a question bank (YAML) as a questionnaire version. Without PATH, loads the default "
        "bank shipped in assessor/bank/default.yaml. Loading the same bank twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="bank file (default: the shipped bank)")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish the loaded version (the shipped bank, or the first version, always is)",
        )

    def handle(self, *args, path=None, publish=False, **options):
        document = bank_document(path or bank.DEFAULT_BANK)
        publish = publish or path is None or Questionnaire.current() is None
        try:
            outcome = questionnaire_load(
                document=document,
                publish=publish,
                published_by_command=f"load_questionnaire by {operator_login()}",
            )
        except bank.BankError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except ValidationError as exc:  # e.g. a published version refusing to change
            raise CommandError("; ".join(exc.messages), returncode=2) from exc
        questionnaire = outcome.questionnaire
        if outcome.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded questionnaire version {questionnaire.version} "
                    f"({questionnaire.get_status_display().lower()})."
                )
            )
        else:
            self.stdout.write(f"Questionnaire version {questionnaire.version} is already loaded.")
