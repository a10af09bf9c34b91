from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessor.bank import BankError
from assessor.loading import questionnaire_publish
from assessor.management.input import text_argument
from assessor.models import Questionnaire


class Command(BaseCommand):
    help = (
        "Publish a draft questionnaire VERSION: new assessments use it from now on; the "
        "previously published version is retired. Existing assessments keep their version."
    )

    def add_arguments(self, parser):
        parser.add_argument("version")

    def handle(self, *args, version, **options):
        text_argument("VERSION", version)
        questionnaire = Questionnaire.objects.filter(version=version).first()
        if questionnaire is None:
            raise CommandError(f"VERSION: no version {version!r}", returncode=2)
        if questionnaire.status == Questionnaire.Status.PUBLISHED:
            self.stdout.write(f"{version} is already published; nothing changed.")
            return
        if questionnaire.status != Questionnaire.Status.DRAFT:
            raise CommandError(f"VERSION: {version!r} is retired; clone it instead", returncode=2)
        try:
            questionnaire_publish(questionnaire)
        except BankError as error:
            raise CommandError(str(error), returncode=2) from error
        except ValidationError as error:  # changed under our feet: no longer a draft
            raise CommandError("VERSION: " + " ".join(error.messages), returncode=2) from error
        self.stdout.write(self.style.SUCCESS(f"Published {version}."))
