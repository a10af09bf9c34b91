from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessor.dashboard.examples import examples_create
from assessor.management.input import text_argument
from assessor.models import Assessment
from assessor.records.services import NoPublishedQuestionnaire
from assessor.teams import access


class Command(BaseCommand):
    help = (
        "On an empty database, create three example assessments (secret rotation, SaaS access "
        "approval, leaver deprovisioning) owned by the first administrator, or by --owner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="username of the owner (default: first superuser)")

    def handle(self, *args, owner=None, **options):
        text_argument("--owner", owner)
        if Assessment.objects.exists():
            self.stdout.write("Assessments already exist; no examples created.")
            return
        User = get_user_model()
        users = (
            User.objects.filter(username=owner)
            if owner
            else User.objects.filter(is_superuser=True).order_by("pk")
        )
        user = users.first()
        if user is None:
            raise CommandError(
                f"no user {owner!r}" if owner else "no administrator yet; run ensure_admin first",
                returncode=2,
            )
        team = access.teams_for(user, access.CREATE).order_by("pk").first()
        if team is None:
            raise CommandError(
                f"{user.username} is a reviewer in no team; see add_member", returncode=2
            )
        try:
            created = examples_create(owner=user, team=team)
        except NoPublishedQuestionnaire as exc:
            raise CommandError(
                "no published questionnaire; run load_questionnaire first", returncode=2
            ) from exc
        for assessment in created:
            self.stdout.write(f"Example: {assessment.name} -> {assessment.get_verdict_display()}")
