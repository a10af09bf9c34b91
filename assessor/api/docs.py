"""The OpenAPI schema and its Swagger UI page, served by the app (drf-spectacular-sidecar).

The page loads its start-up script as a file (the split view), and its template has no
inline style, so the Content-Security-Policy (no inline script or style) holds on it too.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from .authentication import BearerTokenAuthentication


class Schema(SpectacularAPIView):
    """The schema, for a token (scripts, Schemathesis) or the signed-in docs page."""

    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


class Docs(SpectacularSwaggerSplitView):
    """Swagger UI for signed-in people."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    url_name = "api-schema"


schema = Schema.as_view()  # DRF views answer 401 themselves, never the sign-in redirect
docs = login_required(Docs.as_view())  # a person without a session is sent to sign in
