import json
import sys

from django.core.management.base import BaseCommand, CommandError

from assessor.grants import signing


class Command(BaseCommand):
    help = (
        "Check an autonomy grant (a compact JWS in FILE, or - for stdin): its signature against "
        "the published keys, its validity window and revocation. Prints the verdict and the "
        "claims; exit 0 valid, 1 invalid (naming why), 2 for input that is not a grant."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The token file, or - for stdin.")

    def handle(self, *args, file, **options):
        try:
            if file == "-":
                token = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    token = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"file: cannot read {file!r} ({error}).", returncode=2) from None
        try:
            verdict = signing.token_verify(token)
        except signing.MalformedToken as error:
            raise CommandError(f"file: {error}", returncode=2) from None
        self.stdout.write(json.dumps(verdict.as_dict(), indent=2, ensure_ascii=False))
        if not verdict.valid:
            raise CommandError(f"Invalid grant: {verdict.reason}.", returncode=1)
