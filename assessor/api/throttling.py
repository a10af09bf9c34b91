"""Rate limits per token, counted in the shared (database) cache that every worker sees."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """ASSESSOR_API_RATE requests per token (e.g. 600/min), whichever worker or host serves.

    A signed-in session (the schema for the docs page) counts per user instead.
    """

    scope = "token"

    def __init__(self):
        self.cache = caches["shared"]  # not the default cache: that one is per process
        super().__init__()

    def get_rate(self):
        return settings.ASSESSOR_API_RATE  # read per request, so settings can change in tests

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is not None and hasattr(token, "prefix"):
            ident = f"token-{token.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
