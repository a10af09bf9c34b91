"""Settings for the test suite: production settings (DEBUG off), with the development key.

pytest imports settings before any conftest runs, so the switch lives here.
"""

import os

os.environ.setdefault("DJANGO_TESTING", "1")

from .settings import *  # noqa: E402,F403

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
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"assessor-test-{os.getpid()}.sqlite3")
    }
