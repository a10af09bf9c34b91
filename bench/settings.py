"""Settings for the HTTP benchmarks (`bench/server.py`): production settings plus baseline views.

The baseline views live in `bench.urls`, never in the production URLconf. DATABASE_URL comes
from the environment (the bench points it at its own PostgreSQL database, `assessor_bench`).
"""

import os

# config.settings refuses to import without a key when debug is off; this one is public and
# only ever signs the bench's own throwaway sessions.
BENCH_SECRET_KEY = "bench-only-insecure-key-never-use-outside-bench-wizard-http"  # noqa: S105
os.environ.setdefault("DJANGO_SECRET_KEY", BENCH_SECRET_KEY)

from config.settings import *  # noqa: E402,F403
from config.settings import BASE_DIR, TEMPLATES  # noqa: E402

DEBUG = False
SECRET_KEY = BENCH_SECRET_KEY
# The bench speaks plain HTTP on 127.0.0.1: no HTTPS redirect, cookies not marked Secure.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.urls"

TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]},
    *TEMPLATES[1:],
]

# Production uses whitenoise's manifest storage, which needs `collectstatic` first; the bench
# skips that step. Either way `{% static %}` is a string join or a dict lookup per file.
# No STATIC_ROOT either (whitenoise warns when it does not exist); it serves from the finders.
STATIC_ROOT = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Only the seeding and the sign-in of the bench users hash passwords; a signed-in request never
# does (it checks an HMAC of the stored hash), so the fast hasher changes no measured figure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
