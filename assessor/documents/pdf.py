"""The board-ready PDF: the report's own context and partials, rendered by WeasyPrint.

The renderer may read nothing but the application's own static files. Every other URL (the
network, file:, data:, anything a user managed to put in a note) is refused and logged by
`StaticOnlyFetcher`, so a PDF can never carry fetched content or an attachment it should not.
"""

from __future__ import annotations

import logging
import mimetypes
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from assessor.documents import exchange
from assessor.documents import report as reports
from assessor.models import ApprovedReport, Assessment
from assessor.oversight.cycle import interval_days

logger = logging.getLogger("assessor.pdf")

# Static files are addressed under a host name that can never resolve (.invalid is reserved),
# so even a bug that let a URL through to the network would go nowhere.
STATIC_BASE = "https://static.assessor.invalid/"
PAGE_SIZES = {"A4": "A4", "LETTER": "letter"}


class RenderFailed(Exception):
    """The PDF could not be produced; nothing partial is returned."""


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's static files to WeasyPrint and refuses everything else, loudly."""

    def __init__(self, **kwargs):
        super().__init__(allow_redirects=False, allowed_protocols=("https",), **kwargs)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        path = self._static_path(url)
        if path is None:
            shown = url if len(url) <= 200 else url[:200] + "…"
            self.refused.append(shown)
            logger.warning("PDF renderer refused to fetch %r", shown)
            raise ValueError(f"refused to fetch {shown!r}: only the app's static files")
        mime_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": mime_type or "text/plain"}
        )

    @staticmethod
    def _static_path(url: str) -> Path | None:
        base = urlsplit(STATIC_BASE)
        parts = urlsplit(url)
        prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query:
            return None
        path = unquote(parts.path)
        if not path.startswith(prefix):
            return None
        relative = path[len(prefix) :]
        if not relative or any(piece in ("", ".", "..") for piece in relative.split("/")):
            return None
        found = finders.find(relative)
        return Path(found) if found else None


def page_size() -> str:
    return PAGE_SIZES.get(getattr(settings, "ASSESSOR_PDF_PAGE_SIZE", "A4").upper(), "A4")


def pdf_filename(assessment: Assessment, when=None) -> str:
    when = timezone.localdate(when or timezone.now())
    slug = slugify(assessment.name)[:60] or f"{assessment.pk}"
    return f"assessment-{slug}-{when.isoformat()}.pdf"


def pdf_context(assessment: Assessment, *, generated_by) -> dict:
    context = reports.report_context(assessment, with_history=False)
    context.update(
        {
            "for_pdf": True,
            "page_size": page_size(),
            "generated_by": generated_by,
            "fingerprint": exchange.fingerprint(exchange.assessment_export(assessment)),
            # What page 1 says and nothing more: no verdict named for an unfinished record.
            "keywords": context["brief"].keywords(
                [group["framework"] for group in context["frameworks"]]
            ),
            "review_interval_days": interval_days(assessment.team),
        }
    )
    return context


def render_html(context: dict) -> str:
    return render_to_string("assessor/documents/report_pdf.html", context)


@cache
def _print_resources() -> tuple[FontConfiguration, weasyprint.CSS]:
    """Fonts and the print stylesheet, prepared once per process and shared by every render
    (WeasyPrint supports reusing both; it saves a good part of each render)."""
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(
        filename=finders.find("css/report_pdf.css"),
        font_config=fonts,
        url_fetcher=StaticOnlyFetcher(),
    )
    return fonts, stylesheet


def render_pdf(html: str) -> bytes:
    """Render to bytes in memory: the caller sends all of it or nothing."""
    fetcher = StaticOnlyFetcher()
    try:
        fonts, stylesheet = _print_resources()
        document = weasyprint.HTML(string=html, base_url=STATIC_BASE, url_fetcher=fetcher)
        return document.write_pdf(
            stylesheets=[stylesheet],
            font_config=fonts,
            pdf_variant="pdf/ua-1",  # tagged, with a logical structure for screen readers
            attachments=[],
        )
    except Exception as exc:
        logger.exception("PDF rendering failed")
        raise RenderFailed(str(exc)) from exc


def assessment_pdf(assessment: Assessment, *, generated_by) -> bytes:
    return render_pdf(render_html(pdf_context(assessment, generated_by=generated_by)))


def download(assessment: Assessment, *, user) -> tuple[bytes, str]:
    """(bytes, file name) of the PDF to serve: the stored one once approved, else a fresh
    render (RenderFailed when it fails). The web page and the API serve the same file."""
    stored = ApprovedReport.objects.filter(assessment=assessment).first()
    if stored is not None:
        return bytes(stored.content), stored.filename
    return assessment_pdf(assessment, generated_by=user), pdf_filename(assessment)
