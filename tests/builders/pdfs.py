"""Reading PDFs, and hostile text that must not make the renderer fetch or embed anything."""

from __future__ import annotations

import io

from pypdf import PdfReader


def read(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def hostile_payloads(base):
    return [
        "<img src=file:///etc/passwd>",
        f'<img src="{base}/img.png">',
        f'<link rel=attachment href="{base}/attached.txt">',
        '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
        f'<style>@import url("{base}/import.css");</style>',
        f"@import url({base}/bare-import.css);",
        f"<style>@font-face {{ font-family: x; src: url({base}/font.woff) }}</style>",
        f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{base}/svg-image.png"/></svg>',
        '<svg><image xlink:href="file:///etc/passwd"/></svg>',
    ]


def assert_nothing_leaked(content: bytes, canary):
    reader = read(content)
    assert canary.requests == []
    assert reader.attachments == {}
    text = text_of(reader)
    assert "CANARY-CONTENT" not in text and "root:x:0:0" not in text
    assert b"/EmbeddedFile" not in content
    return text
