"""Rate limits per token, counted exactly under concurrency in a database row per token.

DRF's SimpleRateThrottle reads the request history from the cache and writes it back: two
workers reading at once both see room and both write, so 10 parallel clients got 35-37
requests through a 30/min limit on PostgreSQL. Here the history is a row read with
SELECT ... FOR UPDATE and written in the same transaction: parallel requests of one token
queue on the row lock (on SQLite, on the write lock every transaction takes), so exactly the
allowed number pass, whichever worker or host serves them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework.throttling import SimpleRateThrottle

from ..models import RateWindow


class TokenRateThrottle(SimpleRateThrottle):
    """ASSESSOR_API_RATE requests per token (e.g. 600/min) in any sliding window of that
    length, whichever worker or host serves. A signed-in session (the schema for the docs
    page) counts per user instead."""

    scope = "token"

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

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        with transaction.atomic():
            window = _locked_window(self.key)
            self.now = self.timer()  # after the lock: the order requests are counted in
            self.history = [t for t in window.history if t > self.now - self.duration]
            if len(self.history) >= self.num_requests:
                return self.throttle_failure()
            self.history.insert(0, self.now)
            window.history = self.history
            window.save(update_fields=["history"])
        return True


def _locked_window(key: str) -> RateWindow:
    """The key's row, locked until the transaction ends; made on first use (if two requests
    make it at once, the loser of the insert locks the winner's row)."""
    window = RateWindow.objects.select_for_update().filter(key=key).first()
    if window is not None:
        return window
    try:
        with transaction.atomic():
            return RateWindow.objects.create(key=key)
    except IntegrityError:
        return RateWindow.objects.select_for_update().get(key=key)
