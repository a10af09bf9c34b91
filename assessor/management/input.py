"""Reading a command's input file, or standard input for "-", with errors as exit status 2."""

import getpass
import sys

from django.core.management.base import CommandError

from assessor import bank
from assessor.records.validators import text_problem


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


def text_argument(name: str, value: str | None, max_length: int | None = None) -> str | None:
    """A text argument the database can hold, or exit status 2 naming it. (A byte that is not
    UTF-8 on the command line arrives as a lone surrogate, which no column can store.)"""
    if value is None:
        return None
    problem = text_problem(value)
    if problem:
        raise CommandError(f"{name}: {problem}", returncode=2)
    if max_length is not None and len(value) > max_length:
        raise CommandError(f"{name}: at most {max_length} characters", returncode=2)
    return value


def bank_document(path) -> dict:
    """A bank file parsed and validated, or exit status 2 with every problem."""
    try:
        return bank.load_bank_file(path)
    except bank.BankError as exc:
        raise CommandError(str(exc), returncode=2) from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text", returncode=2) from exc
    except RecursionError as exc:
        raise CommandError(f"{path}: nested too deep to be a question bank", returncode=2) from exc


def operator_login() -> str:
    """Who runs the command, as the operating system names them (recorded by commands that
    publish a questionnaire)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "unknown operator"
