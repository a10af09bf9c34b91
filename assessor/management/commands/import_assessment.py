from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessor.documents.exchange import ImportProblem, import_assessment
from assessor.management.input import read_text, text_argument
from assessor.models import Team
from assessor.records.validators import JsonRefused, json_loads
from assessor.teams import access


class Command(BaseCommand):
    help = (
        "Import an assessment exported as JSON (from its report's 'Export JSON') as a new draft. "
        "A file with any problem is refused whole, exit status 2, and nothing is created."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the exported JSON file, or - for standard input")
        parser.add_argument("--owner", required=True, help="username who will own the import")
        parser.add_argument(
            "--team",
            help="team that will own it (default: the only team where the owner is a reviewer)",
        )

    def handle(self, *args, file, owner, team=None, **options):
        text_argument("--owner", owner)
        text_argument("--team", team)
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"--owner: no user named {owner!r}", returncode=2)
        # Only a reviewer of the target team may own a record in it (roles are per team).
        teams = access.teams_for(user, access.CREATE)
        if team is not None:
            if not Team.objects.filter(name=team).exists():
                raise CommandError(f"--team: no team named {team!r}", returncode=2)
            teams = teams.filter(name=team)
            if not teams:
                raise CommandError(
                    f"--owner: {owner!r} is not a reviewer in team {team!r}, so cannot own "
                    "an assessment there",
                    returncode=2,
                )
        elif len(teams) != 1:
            raise CommandError(
                f"--owner: {owner!r} is a reviewer in no team"
                if not teams
                else f"--team: {owner!r} is a reviewer in {len(teams)} teams; name one",
                returncode=2,
            )
        try:
            data = json_loads(read_text(file))
        except JsonRefused as exc:
            raise CommandError(f"{file} cannot be imported: {exc}", returncode=2) from exc
        try:
            assessment = import_assessment(data, owner=user, team=teams[0])
        except ImportProblem as problem:
            raise CommandError(
                "the file cannot be imported:\n  " + "\n  ".join(problem.problems), returncode=2
            ) from problem
        self.stdout.write(
            self.style.SUCCESS(f"Imported '{assessment.name}' as assessment {assessment.pk}.")
        )
