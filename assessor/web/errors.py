"""What a reviewer sees when the database is unavailable: "not saved, try again", never a 500.

A database restart or a dropped connection raises OperationalError or InterfaceError. Every
write runs in one transaction, so such a request changed nothing; the response says so with
503 Service Unavailable. The wizard catches it around its save and shows the step again with
the reviewer's answers still in the form (`views.wizard`); anywhere else, `server_error` (the
project's handler500) turns it into a short 503 page rendered without touching the database.

The API answers in JSON, as its other errors do: its views turn the error into a 503 through
DRF (`api_exception_handler`), so the response gets the API's headers (no-store) and goes out
through every middleware like any other; `server_error` answers JSON under /api/ too, for a
failure outside the API's views.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from rest_framework.response import Response
from rest_framework.views import exception_handler

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER = "5"  # seconds: a restarting database is usually back by then
NOT_SAVED = (
    "Not saved, try again: the database did not answer while saving this step, so none of its "
    "answers were saved. Your answers are still in the form below."
)


API_UNAVAILABLE = (
    "The database did not answer, so nothing was changed. Send the request again in a few seconds."
)


def api_exception_handler(exc, context):
    """DRF's handler, plus the database being unavailable: a JSON 503 with Retry-After."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return Response(
            {"detail": API_UNAVAILABLE}, status=503, headers={"Retry-After": RETRY_AFTER}
        )
    return exception_handler(exc, context)


def server_error(request, template_name="500.html"):
    """handler500: a 503 "not saved, try again" page when the database is unavailable."""
    error = sys.exc_info()[1]
    if not isinstance(error, DATABASE_UNAVAILABLE):
        return defaults.server_error(request, template_name)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": API_UNAVAILABLE}, status=503)
        response["Retry-After"] = RETRY_AFTER
        response["Cache-Control"] = "private, no-store"
        return response
    # No request context: its processors read the session and the user, that is the database.
    page = render_to_string("503.html", {"was_write": request.method not in ("GET", "HEAD")})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = RETRY_AFTER
    return response
