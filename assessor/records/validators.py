"""Checks shared by the web forms and the JSON import, so both refuse the same input.

The wizard's evidence-link field and `exchange.import_assessment` both call `evidence_link`;
every JSON the app reads (the web import, `import_assessment`, `assess`) goes through
`json_loads`, which refuses what would otherwise crash or hang further down: nesting deeper
than any export, integers too long to convert, NaN and Infinity, lone surrogates and NUL
characters (which no database column can store).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

# Only links a reviewer can follow safely: no javascript:, data:, file: or ftp: links.
HTTP_URL_MESSAGE = "Enter an http:// or https:// link."
http_url = URLValidator(schemes=["http", "https"], message=HTTP_URL_MESSAGE)

# Invisible characters that reorder how text is shown: a link containing them can display as
# one address and lead to another.
BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# "2026.2-draft1", "next-draft", "2026.3_DRAFT2", "DRAFT-2026.3", "2026.3-draft-final": labels
# of work in progress, which no published version carries (PDFs and exports print the version's
# name). "draft" as a word anywhere in the name, not inside a longer word.
DRAFT_LABEL = re.compile(r"(?<![a-z])draft(?![a-z])", re.IGNORECASE)


def draft_label_problem(version: str) -> str | None:
    """Why `version` cannot be the name of a published version, or None."""
    if DRAFT_LABEL.search(version):
        return f"“{version}” is a draft's label; give the name readers will see, e.g. 2026.3."
    return None


# An export nests five levels deep; twenty leaves room and refuses what only an attack needs.
MAX_JSON_DEPTH = 20


def evidence_link(value: str) -> None:
    """An http(s) link that shows where it really goes: no user-info, no direction controls."""
    if any(character in BIDI_CONTROLS for character in value):
        raise ValidationError(
            "The link contains an invisible text-direction character, which can make it look "
            "like another address. Type the link again without it.",
            code="bidi",
        )
    http_url(value)
    netloc = urlsplit(value.strip()).netloc
    if "@" in netloc:
        raise ValidationError(
            "The link puts a name before '@' in the address (as in https://good.com@evil.com/): "
            "it would lead to the host after the '@'. Give the link without it.",
            code="userinfo",
        )


# Characters XML 1.0 forbids (C0 controls but tab, line feed and carriage return; surrogates;
# U+FFFE and U+FFFF). An XLSX file is XML: openpyxl refuses the controls (a 500 on the export)
# and writes U+FFFE into a file Excel calls corrupt. The PDF and the DOCX-like formats are no
# kinder. NUL has messages of its own (Django's forms and DRF refuse it by name).
XML_FORBIDDEN = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XML_FORBIDDEN_OR_NUL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def forbidden_character_problem(value: str) -> str | None:
    """Why text cannot go into a document or a spreadsheet (a character XML forbids), or None."""
    found = XML_FORBIDDEN.search(value)
    if found is None:
        return None
    return (
        f"contains an invisible control character (U+{ord(found.group()):04X}) that documents "
        "and spreadsheets cannot hold"
    )


def xml_text(value) -> None:
    """The validator of every text field people fill in (model fields, forms, the API): text
    that exports and reports can hold. Refused with the character's code point, so the
    person can find what pasted it; renaming a record that holds one is never blocked by
    anything but the new value."""
    if isinstance(value, str):
        problem = forbidden_character_problem(value)
        if problem:
            raise ValidationError(
                f"This text {problem}. Remove it (it often comes with text pasted from another "
                "program) and save again.",
                code="forbidden_character",
            )


def without_forbidden_characters(value: str, replacement: str = "\ufffd") -> str:
    """Text with every character XML forbids (NUL included) replaced: for writing out what was
    stored before `xml_text` guarded the fields, or around the app."""
    return XML_FORBIDDEN_OR_NUL.sub(replacement, value)


def text_problem(value: str) -> str | None:
    """Why a piece of text cannot be stored, or None."""
    if "\x00" in value:
        return "contains a NUL character, which no field may hold"
    return unencodable_problem(value) or forbidden_character_problem(value)


def unencodable_problem(value: str) -> str | None:
    """Why a piece of text cannot even be written back (as UTF-8), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (half of a UTF-16 pair), which is not text"
    return None


class JsonRefused(ValueError):
    """The JSON could not be read safely; the message says why, in a reader's words.
    `malformed` is true when the text is not JSON at all."""

    def __init__(self, message: str, *, malformed: bool = False):
        super().__init__(message)
        self.malformed = malformed


def _refuse_constant(name: str):
    raise JsonRefused(f"{name} is not a number JSON allows")


def json_loads(text: str | bytes, *, check=text_problem):
    """Parse JSON, refusing what the app cannot store or process; raises JsonRefused.

    `check` says why a string (value or key) is refused: by default, what no field can store;
    the API passes `unencodable_problem` and leaves the rest to its fields, which name them."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except JsonRefused:
        raise
    except RecursionError:
        raise JsonRefused(f"it is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        message = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        raise JsonRefused(message, malformed=True) from None
    except UnicodeDecodeError:
        raise JsonRefused("it is not UTF-8 text", malformed=True) from None
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        raise JsonRefused("a number is too long to read (more than 4,300 digits)") from None
    problem = json_problem(data, check=check)
    if problem:
        raise JsonRefused(problem)
    return data


def json_problem(data, max_depth: int | None = MAX_JSON_DEPTH, *, check=text_problem) -> str | None:
    """The first reason parsed JSON cannot be stored, naming where, or None. Iterative: any
    depth is walked without recursion (None: no depth limit of its own)."""
    stack = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if max_depth is not None and depth > max_depth:
            return f"{_at(where)}is nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(value, str):
            problem = check(value)
            if problem:
                return f"{_at(where)}{problem}"
        elif isinstance(value, dict):
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                problem = check(key)
                if problem:
                    return f"a key {_at(where)}{problem}"
                stack.append((item, path, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{n}]", depth + 1) for n, item in enumerate(value))
    return None


def _at(where: str) -> str:
    return f'"{_printable(where)}" ' if where else "the file "  # the import's wording


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:80]


# A rule or show-if condition: {"question": KEY, "in" | "not_in": [CHOICE, ...]}, or
# {"all" | "any": [CONDITION, ...]}. The bank's own checker reads them recursively, so their
# shape and depth are checked here first, without recursion.
MAX_CONDITION_DEPTH = 10


def condition_problem(value, where: str = "condition") -> str | None:
    """The first reason `value` is not shaped like a condition, naming where, or None."""
    stack = [(value, where, 1)]
    while stack:
        node, at, depth = stack.pop()
        if depth > MAX_CONDITION_DEPTH:
            return f"{at}: conditions may nest at most {MAX_CONDITION_DEPTH} levels deep"
        if not isinstance(node, dict):
            return f"{at}: a condition must be an object ({{...}}), not {_kind(node)}"
        groups = [op for op in ("all", "any") if op in node]
        if groups:
            op = groups[0]
            children = node[op]
            if set(node) != {op} or not isinstance(children, list) or not children:
                return f"{at}: '{op}' must be the only key and hold a non-empty list"
            stack.extend((child, f"{at}.{op}[{n}]", depth + 1) for n, child in enumerate(children))
            continue
        ops = [op for op in ("in", "not_in") if op in node]
        if set(node) - {"question", "in", "not_in"} or len(ops) != 1 or "question" not in node:
            return f"{at}: a condition needs 'question' and one of 'in' or 'not_in'"
        if not isinstance(node["question"], str):
            return f"{at}: 'question' must be a question key (text), not {_kind(node['question'])}"
        listed = node[ops[0]]
        if not isinstance(listed, list) or not listed:
            return f"{at}: '{ops[0]}' must be a non-empty list of choice keys"
        if not all(isinstance(choice, str) for choice in listed):
            return f"{at}: '{ops[0]}' must list choice keys (text) only"
    return None


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true or false"}.get(
        type(value), "null" if value is None else "a number"
    )


# The range a weight may take: what the scoring uses, well inside the Decimal columns
# (ChoiceWeight.points: 7 digits, 2 decimals; Dimension.weight: 6 digits, 2 decimals).
POINTS_RANGE = (-1000, 1000)
DIMENSION_WEIGHT_RANGE = (0, 100)
VERSION_MAX_LENGTH = 50
TITLE_MAX_LENGTH = 200


def weight_message(lowest: int, highest: int) -> str:
    return f"a weight is a number from {lowest:,} to {highest:,}"


def bank_document_problems(document: dict) -> list[str]:
    """What a parsed bank holds that the database cannot store: text it cannot hold, weights
    out of range, a version label or title too long. Each problem names its field."""
    problem = json_problem(document)
    if problem:
        return [problem]
    problems = []
    if len(str(document.get("version", ""))) > VERSION_MAX_LENGTH:
        problems.append(f"version: at most {VERSION_MAX_LENGTH} characters")
    if len(str(document.get("title", ""))) > TITLE_MAX_LENGTH:
        problems.append(f"title: at most {TITLE_MAX_LENGTH} characters")
    lowest, highest = DIMENSION_WEIGHT_RANGE
    for dimension in document.get("dimensions", []):
        if not lowest <= dimension["weight"] <= highest:
            problems.append(
                f"dimensions.{dimension['key']}.weight: {weight_message(lowest, highest)}"
            )
    lowest, highest = POINTS_RANGE
    for section in document.get("sections", []):
        for question in section["questions"]:
            for choice in question["choices"]:
                for dimension, points in choice["weights"].items():
                    if not lowest <= points <= highest:
                        problems.append(
                            f"questions.{question['key']}.choices.{choice['key']}.weights."
                            f"{dimension}: {weight_message(lowest, highest)}"
                        )
    return problems


def field_text_checked(
    value: str,
    *,
    model,
    field: str,
    max_length: int,
    error: type[Exception],
    noun: str,
    required: str = "",
) -> str:
    """`value` stripped and checked as `model.field` checks what it stores (its length, the
    field's validators); raises `error` with the reason a person reads. `required` is the
    message for an empty value (empty is allowed when it is '')."""
    value = (value or "").strip()
    if required and not value:
        raise error(required)
    if len(value) > max_length:
        raise error(f"The {noun} is too long (at most {max_length} characters).")
    try:
        model._meta.get_field(field).run_validators(value)
    except ValidationError as problem:
        raise error(" ".join(problem.messages)) from problem
    return value
