"""Decorators the views of every package share."""

from __future__ import annotations

from django.views.decorators.cache import cache_control

# A record's pages and files are for the signed-in reader only: no shared cache (a proxy, a
# CDN) may keep them, and the browser does not store them on disk.
private = cache_control(private=True, no_store=True)
