"""Settings for the test suite: production settings (DEBUG off), with a public test key and
static files served from the finders (nobody runs collectstatic for the tests).

Production settings refuse to load without DJANGO_SECRET_KEY when DEBUG is off, so the key
is put in the environment before they are imported (and gunicorn processes started by tests,
given these settings, get it the same way).
"""

import os
import tempfile

TEST_SECRET_KEY = "test-only-insecure-key-never-use-outside-the-test-suite"  # noqa: S105
os.environ.setdefault("DJANGO_SECRET_KEY", TEST_SECRET_KEY)

from .settings import *  # noqa: E402,F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # evidence files of the tests: a directory of this process, never the developer's own
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.path.join(tempfile.gettempdir(), f"assessor-evidence-{os.getpid()}")
        },
    },
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests

# The test client speaks plain HTTP: no redirect to HTTPS, cookies not marked Secure. The
# production values are checked by `manage.py check --deploy` in tests/test_deploy.py.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# SQLite: the test database is a file, as in production, not Django's shared-cache in-memory
# database, whose table locks fail at once ("database table is locked") instead of waiting
# for the busy timeout; the concurrency tests need the production behaviour.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"assessor-test-{os.getpid()}.sqlite3")
    }

# Files the tests store (board pack PDFs) go to a directory of this process, never the repo's.
MEDIA_ROOT = Path(  # noqa: F405
    os.environ.get("DJANGO_MEDIA_ROOT")
    or Path(tempfile.gettempdir()) / f"assessor-test-media-{os.getpid()}"  # noqa: F405
)
