"""What a file is, from its bytes: the name and the browser's Content-Type are never trusted.

Allowed: PDF, PNG, JPEG (by magic number, through `filetype`), XLSX (a zip archive holding
xl/workbook.xml) and plain text or CSV (UTF-8, no NUL, nothing a browser would take for HTML,
SVG or XML). Executables (PE, ELF, Mach-O, scripts with #!) and every other type are refused
with a message that says what the file was taken for.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass

import filetype

HEAD_BYTES = 8192
PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT, CSV = "text/plain", "text/csv"
ALLOWED = (PDF, PNG, JPEG, TEXT, CSV, XLSX)
ALLOWED_NAMES = "PDF, PNG, JPEG, plain text, CSV or XLSX"

EXECUTABLE_MAGIC = {
    b"MZ": "a Windows executable",
    b"\x7fELF": "a Linux executable (ELF)",
    b"\xfe\xed\xfa\xce": "a macOS executable (Mach-O)",
    b"\xfe\xed\xfa\xcf": "a macOS executable (Mach-O)",
    b"\xce\xfa\xed\xfe": "a macOS executable (Mach-O)",
    b"\xcf\xfa\xed\xfe": "a macOS executable (Mach-O)",
    b"\xca\xfe\xba\xbe": "a macOS universal executable (Mach-O)",
    b"#!": "a script (#!)",
}
# What makes a browser (or an XML parser) read text as markup: checked over the head, the
# part browsers sniff, after any byte-order mark and leading space.
MARKUP = re.compile(
    rb"<\s*(!doctype|html|head|body|script|iframe|svg|\?xml|object|embed|meta|style|a\s)",
    re.IGNORECASE,
)


class RefusedFile(ValueError):
    """A file that is not allowed, with the reason a person can act on."""


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    label: str


def sniff(upload, name: str) -> Sniffed:
    """The allowed type of `upload` (a file object, read from its start), or RefusedFile."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if not head:
        raise RefusedFile("The file is empty.")
    for magic, what in EXECUTABLE_MAGIC.items():
        if head.startswith(magic):
            raise RefusedFile(f"Refused: the file is {what}. Allowed: {ALLOWED_NAMES}.")
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in (PDF, PNG, JPEG):
        return Sniffed(mime, kind.extension.upper())
    if head.startswith(b"PK\x03\x04"):
        return _xlsx(upload)
    if mime is not None:
        raise RefusedFile(
            f"Refused: the file's content is {mime}, not an allowed type. Allowed: {ALLOWED_NAMES}."
        )
    return _text(upload, head, name)


def _xlsx(upload) -> Sniffed:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        names = set()
    finally:
        upload.seek(0)
    if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
        return Sniffed(XLSX, "XLSX")
    raise RefusedFile(
        "Refused: the file is a zip archive that is not an XLSX workbook. "
        f"Allowed: {ALLOWED_NAMES}."
    )


def _text(upload, head: bytes, name: str) -> Sniffed:
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if start.startswith(b"<") or MARKUP.search(head):
        raise RefusedFile(
            "Refused: the file is HTML, SVG or XML (markup a browser would run), whatever its "
            f"name says. Allowed: {ALLOWED_NAMES}."
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: upload.read(65536), b""):
            if b"\x00" in chunk:
                raise RefusedFile(
                    "Refused: the file is binary data of no allowed type. "
                    f"Allowed: {ALLOWED_NAMES}."
                )
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise RefusedFile(
            "Refused: the file is neither UTF-8 text nor an allowed binary type. "
            f"Allowed: {ALLOWED_NAMES}."
        ) from None
    finally:
        upload.seek(0)
    # Text either way: the name only chooses how a download is labelled, never what is stored.
    if name.lower().endswith(".csv"):
        return Sniffed(CSV, "CSV")
    return Sniffed(TEXT, "plain text")
