"""The Makefile's entry points, as a newcomer runs them: dry runs (nothing is executed), and one
real `make run` stopped as a terminal or a supervisor would stop it."""

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.builders import django_env, free_port, live_pids, start_process, wait_for, wait_for_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(target: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "PORT"} | env
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return result.stdout


def test_make_run_serves_on_8000_by_default():
    assert "exec scripts/serve.sh .venv/bin/python 8000" in dry_run("run")


def test_make_run_honours_port_from_the_environment():
    commands = dry_run("run", PORT="9000")
    assert "exec scripts/serve.sh .venv/bin/python 9000" in commands
    assert "8000" not in commands


def test_make_run_prints_the_sign_in_address_on_its_port():
    assert "ensure_admin --sign-in-url http://127.0.0.1:9000/accounts/login/" in dry_run(
        "run", PORT="9000"
    )


def test_make_run_schedules_the_queue_before_it_serves():
    commands = dry_run("run")
    assert commands.index("manage.py ensure_schedules") < commands.index("scripts/serve.sh")


def test_make_run_publishes_a_grant_signing_key_before_it_serves():
    commands = dry_run("run")
    assert commands.index("rotate_grant_key --ensure") < commands.index("scripts/serve.sh")


@pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "python").exists(), reason="no virtual environment in .venv"
)
def test_term_to_make_run_stops_the_server_and_the_queue_worker(tmp_path):
    """A supervisor (or `kill`) stops `make run` by its PID: nothing it started lives on."""
    port = free_port()
    log = tmp_path / "run.log"
    env = django_env(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", PORT=str(port))
    # -o: the venv is the suite's own, as installed; `make run` must not reinstall into it
    make = ["make", "-C", str(ROOT), "-o", ".venv/.runtime-installed", "run"]
    process = start_process(make, env=env, log=log)  # make leads a session of its own
    try:
        wait_for_port(process, port, log=log, timeout=180)
        wait_for(lambda: "Q Cluster" in log.read_text(), 60, "the queue worker did not start")
        assert {"runserver", "qcluster"} <= commands_in(session=process.pid)

        process.send_signal(signal.SIGTERM)  # to make alone, not to its group
        process.wait(timeout=40)
        wait_for(lambda: not live_pids(session=process.pid), 5, "a process outlived make")
    finally:
        for pid in live_pids(session=process.pid):
            os.kill(pid, signal.SIGKILL)
        process.wait(timeout=5)


def commands_in(*, session: int) -> set[str]:
    """Which of runserver and qcluster run in `session`."""
    found = set()
    for pid in live_pids(session=session):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        found.update(name for name in ("runserver", "qcluster") if name.encode() in argv)
    return found
