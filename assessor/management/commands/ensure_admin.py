import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from assessor.management.input import text_argument
from assessor.teams.membership import member_add
from assessor.teams.roles import ROLE_NAMES

FIRST_TEAM = "Security review"


class Command(BaseCommand):
    help = (
        "Create a first administrator if no superuser exists, printing its generated password "
        "once, as a member of the team 'Security review' with every role. Does nothing when "
        "one exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--sign-in-url",
            default="http://127.0.0.1:8000/accounts/login/",
            help="where the printed message says to sign in (make run passes its PORT)",
        )

    def handle(self, *args, username, sign_in_url, **options):
        text_argument("--username", username, max_length=150)
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator account already exists; no account created.")
            return
        password = secrets.token_urlsafe(15)
        User.objects.create_superuser(username=username, email="", password=password)
        # Superuser status gives no record powers: roles are held per team, by everyone.
        for role in ROLE_NAMES:
            member_add(team_name=FIRST_TEAM, username=username, role=role)
        self.stdout.write(
            self.style.SUCCESS(
                "\nCreated the first administrator account. Its password is shown only now:\n"
                f"    username: {username}\n"
                f"    password: {password}\n"
                f"Sign in at {sign_in_url} and change it from the menu.\n"
            )
        )
