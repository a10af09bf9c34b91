"""Reading a command's input file, or standard input for "-", with errors as exit status 2."""

import sys

from django.core.management.base import CommandError


def read_text(file: str) -> str:
    """The whole of FILE (or standard input for "-") as UTF-8 text."""
    try:
        if file == "-":
            return sys.stdin.read()
        with open(file, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise CommandError(f"cannot read {file}: {exc.strerror}", returncode=2) from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{file} is not UTF-8 text", returncode=2) from exc
