"""The Makefile's entry points, as a newcomer runs them (dry runs: nothing is executed)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

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
    assert "runserver 127.0.0.1:8000" in dry_run("run")


def test_make_run_honours_port_from_the_environment():
    commands = dry_run("run", PORT="9000")
    assert "runserver 127.0.0.1:9000" in commands
    assert "127.0.0.1:8000" not in commands


def test_make_run_prints_the_sign_in_address_on_its_port():
    assert "ensure_admin --sign-in-url http://127.0.0.1:9000/accounts/login/" in dry_run(
        "run", PORT="9000"
    )


def test_make_run_starts_a_queue_worker_beside_the_server_and_stops_it_with_it():
    commands = dry_run("run")
    assert "manage.py ensure_schedules" in commands
    worker = commands.index("manage.py qcluster &")
    assert "trap 'kill $worker" in commands[worker:]
    assert worker < commands.index("runserver 127.0.0.1:8000")
