from django.core.management.base import BaseCommand, CommandError

from assessor.grants import signing


class Command(BaseCommand):
    help = (
        "Make a new active signing key for autonomy grants. The previous key stays published "
        "in /.well-known/jwks.json so the grants it signed still verify. With --retire, only "
        "drop the retired keys whose every grant has expired."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retire",
            action="store_true",
            help="Drop retired keys no live grant needs, instead of rotating.",
        )
        parser.add_argument(
            "--ensure",
            action="store_true",
            help="Make the first key if there is none (make run does), instead of rotating: "
            "the JWKS publishes a key before the first grant.",
        )

    def handle(self, *args, retire=False, ensure=False, **options):
        if retire and ensure:
            raise CommandError("--retire and --ensure: choose one.", returncode=2)
        if ensure:
            key = signing.key_active()
            self.stdout.write(f"Active grant signing key: {key.kid}.")
            return
        if retire:
            kids = signing.keys_retire()
            if kids:
                self.stdout.write(f"Dropped {len(kids)} retired key(s): {', '.join(kids)}.")
            else:
                self.stdout.write("No retired key can be dropped yet.")
            return
        key = signing.key_rotate()
        self.stdout.write(
            f"New active key {key.kid}. Earlier keys stay published until their grants expire."
        )
