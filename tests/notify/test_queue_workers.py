"""Two real task-queue clusters (`manage.py qcluster`, one worker each, as on two hosts) share
one PostgreSQL database and deliver a batch of reminders to a real SMTP server; one of them is
killed with SIGKILL in the middle of its job. Every reminder arrives exactly once: the live
worker never sends what the other holds, and what the dead one held is sent again once its
lease ends.

PostgreSQL only: on SQLite the claim holds too (its one write lock serialises claims), but
several processes polling one SQLite file is not a deployment this app supports (workers on
several hosts need a database server), so the test would prove nothing an operator relies on.
"""

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller

from tests.builders import (
    SmtpInbox,
    django_env,
    free_port,
    live_pids,
    postgres_side_database,
    start_process,
    stop_process,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/notify/ is two below)
REMINDERS = 40
LEASE_SECONDS = 4
RCPT_DELAY = 0.25  # each message takes this long before it is accepted: the job is slow

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="two workers on two hosts need PostgreSQL (see the module's docstring)",
)


class SlowInbox(SmtpInbox):
    """Slow at RCPT, before any message text is sent: a worker killed there leaves nothing
    accepted, as a worker killed mid-job on a real host would."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        await asyncio.sleep(RCPT_DELAY)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def database_url():
    """A database of its own beside the suite's, dropped afterwards."""
    with postgres_side_database(os.environ["DATABASE_URL"], "queue_workers") as url:
        yield url


@pytest.fixture
def env(database_url, smtp):
    _, port = smtp
    return django_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_EMAIL_PORT=str(port),
        ASSESSOR_QUEUE_WORKERS="1",
        ASSESSOR_QUEUE_TIMEOUT_SECONDS="60",
        ASSESSOR_QUEUE_RETRY_SECONDS="90",
        ASSESSOR_DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
        ASSESSOR_DELIVERY_BUDGET_SECONDS="30",
    )


def django_run(env, code: str) -> str:
    """Run `code` in a fresh Django process on the workers' database; its standard output."""
    script = "import django; django.setup()\n" + code
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


SETUP = f"""
from django.core.management import call_command
from assessor.notify.models import Delivery
call_command("migrate", verbosity=0)
Delivery.objects.bulk_create(
    Delivery(
        key=f"review.due:{{i}}:2027-01-01:mail:{{i}}",
        channel="email",
        recipient=f"owner{{i}}@example.org",
        subject=f"Review due: workflow {{i}}",
        body="Due for review.",
    )
    for i in range({REMINDERS})
)
"""
ENQUEUE = """
from django_q.tasks import async_task
for _ in range({n}):
    async_task("assessor.notify.tasks.deliver_pending")
"""


def delivery_rows(database_url) -> list[tuple[str, str, bool]]:
    """(status, lease token, lease still live) of every delivery, read straight from SQL."""
    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT status, lease_token, coalesce(leased_until > now(), false) "
            "FROM assessor_delivery ORDER BY id"
        ).fetchall()


def cluster(env, log: Path) -> subprocess.Popen:
    # its own process group: the cluster and its worker die together, as a host would
    return start_process([sys.executable, "manage.py", "qcluster"], env=env, log=log)


def test_two_workers_and_a_kill_deliver_every_reminder_exactly_once(
    env, smtp, tmp_path, database_url
):
    inbox, _ = smtp
    django_run(env, SETUP)
    first = cluster(env, tmp_path / "first.log")
    second = cluster(env, tmp_path / "second.log")
    try:
        for process, log in ((first, "first.log"), (second, "second.log")):
            wait_for(
                lambda log=log: "running" in (tmp_path / log).read_text(),
                60,
                f"{log}: the cluster did not start",
            )
            assert process.poll() is None
        django_run(env, ENQUEUE.format(n=2))  # two jobs; the broker decides who takes them

        # Mid-job: one cluster's worker holds a live claim on rows not yet sent, and a message
        # is on its way (half-way through the slow RCPT). Which cluster takes the jobs is the
        # broker's choice, so the one holding the claim is the one killed.
        pids = {process.pid: live_pids(group=process.pid) for process in (first, second)}
        holder = {}

        def a_worker_holds_unsent_rows():
            if len(inbox.messages) < 4:
                return False
            rows = delivery_rows(database_url)
            for process in (first, second):
                if any(
                    status == "pending" and live and int(token.split("-")[0]) in pids[process.pid]
                    for status, token, live in rows
                ):
                    holder["process"] = process
                    return True
            return False

        wait_for(a_worker_holds_unsent_rows, 60, "no worker ever held a claim")
        victim = holder["process"]
        seen = len(inbox.messages)
        wait_for(lambda: len(inbox.messages) > seen, 10, "no message was accepted")
        time.sleep(RCPT_DELAY / 2)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        assert len(inbox.messages) < REMINDERS, "killed too late: nothing was left to lose"

        # The frequent "deliver pending" schedule, faster: a job every second until all are sent.
        deadline = time.monotonic() + 90
        while len(inbox.messages) < REMINDERS and time.monotonic() < deadline:
            django_run(env, ENQUEUE.format(n=1))
            time.sleep(1)
        time.sleep(LEASE_SECONDS)  # room for a duplicate to show up, if one were coming
    finally:
        stop_process(first)
        stop_process(second)

    received = Counter(message["To"] for message in inbox.messages)
    assert sorted(received) == sorted(f"owner{i}@example.org" for i in range(REMINDERS))
    assert set(received.values()) == {1}, {to: n for to, n in received.items() if n > 1}
    rows = delivery_rows(database_url)
    assert [status for status, _, _ in rows] == ["sent"] * REMINDERS
