"""Requests: admin changelist posts, pages compared without their CSRF tokens, API clients,
the sweeps over every assessor URL, and evidence links that must be refused."""

from __future__ import annotations

import re

from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from .people import make_token


def changelist_data(formset, field: str, value=None) -> dict[str, str]:
    """POST data for an admin changelist's list-editable rows: every row of `formset` with
    `field` at `value`, or at its current value when `value` is None."""
    data = {
        "form-TOTAL_FORMS": str(len(formset.forms)),
        "form-INITIAL_FORMS": str(len(formset.forms)),
        "_save": "Save",
    }
    for n, form in enumerate(formset.forms):
        current = getattr(form.instance, field) if value is None else value
        data[f"form-{n}-id"] = str(form.instance.pk)
        data[f"form-{n}-{field}"] = str(current)
    return data


def without_csrf_token(content: bytes) -> bytes:
    """A page without its forms' CSRF tokens, which Django masks afresh on every response
    (the styled 404's Sign out form has one): for comparing two pages that must be alike."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def api_client(user=None, *, token=None):
    """A DRF test client sending `Authorization: Bearer <token>` (a new token of `user`)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token or make_token(user)}")
    return client


RECORD_ROUTES = {
    "resume", "wizard", "preview", "report", "report_pdf", "export_json", "history", "submit",
    "approve", "return", "reassess", "compare", "review_request", "grant", "grant_issue",
    "grant_revoke",
}  # fmt: skip
# no record in the URL
OPEN_ROUTES = {
    "dashboard", "assessment_new", "import_upload", "export_csv", "export_xlsx", "audit_records",
}  # fmt: skip
ROUTE_ARGS = {"pk", "step", "other"}
# The modules of the team records' views (assessor/urls.py assembles them).
RECORD_VIEWS = {
    f"assessor.{package}.views" for package in ("dashboard", "wizard", "documents", "review")
}
MISSING = 987654


def assessor_routes() -> dict[str, set[str]]:
    """name -> URL arguments, for every pattern the live resolver sends to the assessor app."""
    routes: dict[str, set[str]] = {}

    def walk(patterns, inside):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                module = getattr(pattern.urlconf_module, "__name__", "")
                walk(pattern.url_patterns, inside or module == "assessor.urls")
            elif inside or pattern.callback.__module__ in RECORD_VIEWS:
                assert pattern.name, f"unnamed assessor URL pattern: {pattern.pattern}"
                routes[pattern.name] = set(getattr(pattern.pattern, "converters", {}))

    walk(get_resolver().url_patterns, False)
    return routes


def route_url(name, args, pk, other=None, step=1) -> str:
    values = {"pk": pk, "other": other if other is not None else pk, "step": step}
    unknown = args - ROUTE_ARGS
    assert not unknown, f"{name} takes {unknown}: teach the sweeps how to fill it"
    return reverse(name, kwargs={arg: values[arg] for arg in args})


BAD_LINKS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://example.com/%0aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "file://localhost/etc/shadow",
    "vbscript:msgbox(1)",
    "VBScript:MsgBox(1)",
    "ftp://example.com/x",
    "//evil.example/x",
    "http://",
    "https://",
    "https:///etc/passwd",
    "not a link",
    "https://exa mple.com/",
    "https://[::1/",
]


class UnreadableBody:
    """A request body (`wsgi.input`) that must not be read: announce any length, send none;
    a read fails the test."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read
