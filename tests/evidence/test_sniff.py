"""The type of an upload comes from its bytes: allowed types pass whatever their name, markup,
executables and other archives are refused whatever theirs."""

import io

import pytest

from assessor.evidence.sniff import CSV, JPEG, PDF, PNG, TEXT, XLSX, RefusedFile, sniff
from tests.builders import (
    CSV_BYTES,
    ELF_BYTES,
    HTML_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PE_BYTES,
    PNG_BYTES,
    SCRIPT_BYTES,
    SVG_BYTES,
    TEXT_BYTES,
    xlsx_bytes,
    zip_bytes,
)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("policy.pdf", PDF_BYTES, PDF),
        ("vault.png", PNG_BYTES, PNG),
        ("photo.jpg", JPEG_BYTES, JPEG),
        ("kill-switch.txt", TEXT_BYTES, TEXT),
        ("identities.csv", CSV_BYTES, CSV),
        ("review.xlsx", xlsx_bytes(), XLSX),
        # the name does not decide: a PNG named .pdf is a PNG
        ("screenshot.pdf", PNG_BYTES, PNG),
    ],
)
def test_each_allowed_type_is_recognised_by_its_content(name, content, expected):
    assert sniff(io.BytesIO(content), name).content_type == expected


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("report.pdf", HTML_BYTES, "HTML"),
        ("report.pdf", b"\xef\xbb\xbf  \n<html><body>hi</body></html>", "HTML"),
        ("notes.txt", b"Minutes\n<script>alert(1)</script>\n", "HTML"),
        ("logo.png", SVG_BYTES, "SVG"),
        ("tool.pdf", ELF_BYTES, "Linux executable"),
        ("setup.pdf", PE_BYTES, "Windows executable"),
        ("run.txt", SCRIPT_BYTES, "script"),
        ("book.xlsx", zip_bytes(), "zip archive that is not an XLSX"),
        ("data.txt", b"abc\x00def", "binary"),
        ("latin.txt", "café".encode("latin-1"), "neither UTF-8"),
        ("empty.txt", b"", "empty"),
        ("anim.gif", b"GIF89a" + b"\x00" * 20, "image/gif"),
    ],
)
def test_what_is_not_allowed_is_refused_with_what_it_is(name, content, says):
    with pytest.raises(RefusedFile) as refused:
        sniff(io.BytesIO(content), name)
    assert says in str(refused.value)
