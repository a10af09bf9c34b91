"""What a reviewer sees when the database is unavailable: "not saved, try again", never a 500.

A database restart or a dropped connection raises OperationalError or InterfaceError. Every
write runs in one transaction, so such a request changed nothing; the response says so with
503 Service Unavailable. The wizard catches it around its save and shows the step again with
the reviewer's answers still in the form (`views.wizard`); anywhere else, `server_error` (the
project's handler500) turns it into a short 503 page rendered without touching the database.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER = "5"  # seconds: a restarting database is usually back by then
NOT_SAVED = (
    "Not saved, try again: the database did not answer while saving this step, so none of its "
    "answers were saved. Your answers are still in the form below."
)


def server_error(request, template_name="500.html"):
    """handler500: a 503 "not saved, try again" page when the database is unavailable."""
    error = sys.exc_info()[1]
    if not isinstance(error, DATABASE_UNAVAILABLE):
        return defaults.server_error(request, template_name)
    # No request context: its processors read the session and the user, that is the database.
    page = render_to_string("503.html", {"was_write": request.method not in ("GET", "HEAD")})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = RETRY_AFTER
    return response
