"""Signing out ends the session in every worker: a real gunicorn with two workers, a sign-in
through the login form, a sign-out, then the old session cookie replayed on fresh connections.

The server runs the production settings (debug off, its own secret key) against its own
database: a SQLite file, or, when DATABASE_URL points at PostgreSQL, a database of its own
next to the suite's, dropped afterwards.
"""

import http.client
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.builders import (
    django_env,
    free_port,
    postgres_side_database,
    start_process,
    stop_process,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
WORKERS = 2
REPLAYS = 30
USERNAME = "alice"
PASSWORD = secrets.token_urlsafe(16)


def request(port, method, path, *, cookies=None, form=None):
    """One request on a fresh connection (so consecutive requests spread over the workers)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    headers = {"Host": HOST}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://{HOST}:{port}{path}"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        set_cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                set_cookies[key] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location", ""), set_cookies, response.read()
    finally:
        connection.close()


def signed_in(port, cookies) -> bool:
    """The dashboard answers 200 to a signed-in session; anyone else is sent to sign in."""
    status, location, _, _ = request(port, "GET", "/", cookies=cookies)
    assert status in (200, 302), status
    return status == 200 and not location


def csrf_of(page: bytes) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()


@pytest.fixture
def server_database(tmp_path):
    """The server's own database URL: a SQLite file, or a PostgreSQL database of its own."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
        return
    with postgres_side_database(url, "multiworker") as side_url:
        yield side_url


@pytest.fixture
def server(server_database, tmp_path):
    """gunicorn with two sync workers on a free loopback port; always stopped."""
    env = django_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DATABASE_URL=server_database,
    )
    setup = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.contrib.auth import get_user_model\n"
        "call_command('migrate', verbosity=0)\n"
        f"get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r})\n"
    )
    subprocess.run([sys.executable, "-c", setup], env=env, cwd=ROOT, check=True, timeout=120)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    process = start_process(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", f"--workers={WORKERS}"]
        + [f"--bind={HOST}:{port}", "--log-level=warning"],
        env=env,
        log=log,
    )
    try:
        wait_for_port(process, port, log=log, timeout=30)
        yield port
    finally:
        stop_process(process, timeout=15)


def test_a_signed_out_cookie_is_signed_out_in_every_worker(server):
    port = server
    _, _, cookies, page = request(port, "GET", "/accounts/login/")
    status, _, set_cookies, _ = request(
        port,
        "POST",
        "/accounts/login/",
        cookies=cookies,
        form={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(page)},
    )
    assert status == 302 and "sessionid" in set_cookies
    cookies.update(set_cookies)
    # Every worker has served the session before the sign-out (and cached it, if it could).
    assert all(signed_in(port, cookies) for _ in range(10))
    old_cookie = cookies["sessionid"]

    _, _, _, page = request(port, "GET", "/", cookies=cookies)
    status, _, _, _ = request(
        port,
        "POST",
        "/accounts/logout/",
        cookies=cookies,
        form={"csrfmiddlewaretoken": csrf_of(page)},
    )
    assert status == 302

    replays = [signed_in(port, {"sessionid": old_cookie}) for _ in range(REPLAYS)]
    assert replays.count(True) == 0, f"{replays.count(True)} of {REPLAYS} replays signed in"
