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
