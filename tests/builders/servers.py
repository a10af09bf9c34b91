"""Servers on the loopback interface: a free port, the SMTP inbox, the canary that records
what a PDF renderer fetches, and the app's own processes (gunicorn, qcluster, `make run`)
started, awaited and stopped as a host would."""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.server
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/builders/ is two below)


class SmtpInbox:
    """What a real SMTP server (aiosmtpd, on a loopback port) received: see `smtp_server` in
    tests/conftest.py. Each message keeps its envelope recipients and its parsed content."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        message.text = message.get_body(("plain",)).get_content()
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Canary:
    """An HTTP server on 127.0.0.1 that records every request it receives."""

    def __init__(self):
        self.requests = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                canary.requests.append(self.path)
                body = b"root:x:0:0:CANARY-CONTENT"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# --- the app's processes --------------------------------------------------------------------


def start_process(argv: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`argv` run from the repository, its output in `log`, in a session (and process group) of
    its own: `stop_process` ends it with everything it started, as stopping a host would."""
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def wait_for_port(process: subprocess.Popen, port: int, *, log: Path, timeout: float = 60):
    """Until something accepts connections on loopback `port`; fails at once, with the log, if
    `process` ends first."""

    def accepting() -> bool:
        assert process.poll() is None, log.read_text()
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_for(accepting, timeout, f"nothing listened on port {port} within {timeout} s")


def stop_process(process: subprocess.Popen, *, timeout: float = 20) -> None:
    """TERM to the process's group, then KILL after `timeout` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def live_pids(*, group: int | None = None, session: int | None = None) -> set[int]:
    """The processes (zombies left out) in process group `group`, or in session `session`."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp, sid = fields[0], int(fields[2]), int(fields[3])  # after the name
        if state != "Z" and (pgrp == group or sid == session):
            pids.add(int(stat.parent.name))
    return pids


def django_env(**settings: str) -> dict[str, str]:
    """The environment for the app in a process of its own: the test settings (static files from
    the finders, since nobody ran collectstatic), none of the caller's DJANGO_ or ASSESSOR_
    variables, then `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ASSESSOR_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.test_settings", PYTHONPATH=str(ROOT))
    return env | settings


@contextlib.contextmanager
def postgres_side_database(url: str, suffix: str) -> Iterator[str]:
    """A fresh database beside the one `url` names (its name plus `suffix`), dropped after."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'assessor'}_{suffix}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
