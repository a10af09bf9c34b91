from django.core.management.base import BaseCommand, CommandError

from assessor.management.input import text_argument
from assessor.teams.membership import member_add
from assessor.teams.roles import ROLE_NAMES


class Command(BaseCommand):
    help = (
        "Grant USERNAME a role in TEAM (in that team only), creating the team and the user when "
        "missing (a new user's generated password is printed once). Running it again changes "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("team", help="team name, e.g. 'IAM security'")
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_NAMES))

    def handle(self, *args, team, username, role, **options):
        text_argument("TEAM", team)
        text_argument("USERNAME", username)
        if not team.strip() or len(team) > 100:
            raise CommandError("TEAM: give a name of 1 to 100 characters", returncode=2)
        if not username.strip() or len(username) > 150:
            raise CommandError("USERNAME: give a name of 1 to 150 characters", returncode=2)
        outcome = member_add(team_name=team.strip(), username=username.strip(), role=role)
        if not outcome.changes:
            article = "an" if role[0] in "aeiou" else "a"
            self.stdout.write(f"{username} is already {article} {role} in {team}; nothing changed.")
            return
        done = "; ".join(outcome.changes)
        # str.capitalize() would lower-case the team's name too
        self.stdout.write(self.style.SUCCESS(done[:1].upper() + done[1:] + "."))
        if outcome.password:
            self.stdout.write(
                f"Password for {username}, shown only now: {outcome.password}\n"
                "They can change it after signing in."
            )
