from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessor.bank import BankError
from assessor.bank.loading import questionnaire_publish
from assessor.management.input import operator_login, text_argument
from assessor.models import Questionnaire


class Command(BaseCommand):
    help = (
        "Publish a draft questionnaire VERSION: new assessments use it from now on; the "
        "previously published version is retired. Existing assessments keep their version."
    )

    def add_arguments(self, parser):
        parser.add_argument("version")
        parser.add_argument(
            "--by",
            default="",
            help="Who is publishing, recorded with the version (default: the system login).",
        )

    def handle(self, *args, version, by, **options):
        text_argument("VERSION", version)
        if by:
            text_argument("--by", by, 150)
        questionnaire = Questionnaire.objects.filter(version=version).first()
        if questionnaire is None:
            raise CommandError(f"VERSION: no version {version!r}", returncode=2)
        if questionnaire.status == Questionnaire.Status.PUBLISHED:
            self.stdout.write(f"{version} is already published; nothing changed.")
            return
        if questionnaire.status != Questionnaire.Status.DRAFT:
            raise CommandError(f"VERSION: {version!r} is retired; clone it instead", returncode=2)
        try:
            with transaction.atomic():
                # the operator is recorded: the studio's four eyes do not apply here
                questionnaire.published_by_command = (by or operator_login())[:150]
                questionnaire.save(update_fields=["published_by_command"])
                questionnaire_publish(questionnaire)
        except BankError as error:
            raise CommandError(str(error), returncode=2) from error
        except ValidationError as error:  # changed under our feet: no longer a draft
            raise CommandError("VERSION: " + " ".join(error.messages), returncode=2) from error
        self.stdout.write(self.style.SUCCESS(f"Published {version}."))
