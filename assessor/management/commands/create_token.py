from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessor.management.input import text_argument
from assessor.teams import tokens


class Command(BaseCommand):
    help = (
        "Create a personal access token for USER's scripts and print it once (only a hash is "
        "kept). It acts with USER's roles in each team; send it as 'Authorization: Bearer ...'."
    )

    def add_arguments(self, parser):
        parser.add_argument("user", help="the username the token acts as")
        parser.add_argument("--name", required=True, help="what the token is for")
        parser.add_argument(
            "--expires-days",
            default=str(tokens.DEFAULT_DAYS),
            help=f"days until it expires, 1 to {tokens.MAX_DAYS} (default {tokens.DEFAULT_DAYS})",
        )

    def handle(self, *args, user, name, expires_days, **options):
        text_argument("USER", user)
        text_argument("--name", name)
        owner = _checked("USER", tokens.user_by_name, user)
        _checked("--name", tokens.check_name, name)
        try:
            days = int(expires_days)
        except ValueError:
            raise CommandError(
                f"--expires-days: {expires_days!r} is not a whole number of days", returncode=2
            ) from None
        _checked("--expires-days", tokens.check_days, days)
        token, raw = _checked(
            "USER", lambda _: tokens.token_create(user=owner, name=name, expires_days=days), None
        )
        self.stdout.write(
            f"Token {token.name!r} ({token.prefix}) for {owner.get_username()}, expires "
            f"{token.expires_at:%Y-%m-%d %H:%M} UTC. Shown only now; keep it secret:"
        )
        self.stdout.write(raw)


def _checked(field: str, check, value):
    """check(value), or exit status 2 naming the field with the check's message."""
    try:
        return check(value)
    except ValidationError as problem:
        raise CommandError(f"{field}: {problem.messages[0]}", returncode=2) from None
