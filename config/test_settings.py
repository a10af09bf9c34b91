"""Settings for the test suite: production settings (DEBUG off), with the development key.

pytest imports settings before any conftest runs, so the switch lives here.
"""

import os

os.environ.setdefault("DJANGO_TESTING", "1")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests
