"""What every HTTP benchmark shares: its own `*_bench` database, gunicorn, the loadgen, the ORM.

The load generator (locust) runs in its own process: its gevent patches must stay out of Django.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import dj_database_url
import psutil
import psycopg
from django.db import connections
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
APP = "config.wsgi:application"
RATIO_WORKERS = 2  # gunicorn sync workers of the ratio benchmarks
# Seconds: a warm-up of each scenario, then CYCLES cycles of a SLICE of each (after SETTLE s).
RATIO_SLICES = {"warmup": 1.5, "slice": 1.25, "settle": 0.2, "cycles": 12}


class BenchError(Exception):
    """The bench could not set itself up (as opposed to a request failing under load)."""


def database_url(name: str) -> str:
    """postgres://.../NAME: BENCH_DATABASE_URL's server, or the local cluster's."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        started = script([str(ROOT / "scripts" / "start-postgres.sh")], timeout=300, raw=True)
        url = started.strip().splitlines()[-1]
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def recreate_database(url: str, create: bool = True) -> None:
    """Drop (and create again) the database `url` names; only ever a `*_bench` one."""
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name.endswith("_bench"):
        raise BenchError(f"refusing to drop {name!r}: the bench only owns *_bench databases")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute("SET statement_timeout = '15s'")
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def redacted(url: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:***@{parts.hostname}:{parts.port}" if parts.password else None
    return urlunsplit(parts._replace(netloc=netloc or parts.netloc))


def server_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="bench.settings", DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return {**env, **extra}


def script(command: list[str], env=None, timeout: float = 300, raw=False):
    """Run a helper to completion: its last stdout line as JSON (or all of stdout if raw)."""
    env = env or {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as late:
        raise BenchError(f"{Path(command[-1]).name} did not finish in time") from late
    if done.returncode != 0:
        print((done.stdout + done.stderr)[-3000:])
        raise BenchError(f"{' '.join(command[:3])} failed (output above)")
    return done.stdout if raw else json.loads(done.stdout.strip().splitlines()[-1])


def seed(env: dict[str, str], kind: str, *args: str) -> dict:
    """`bench/seed.py KIND` against env's database."""
    return script([sys.executable, str(ROOT / "bench" / "seed.py"), kind, *args], env=env)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """A running gunicorn: its url, its process, its workers' pids (psutil)."""

    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.url = process, f"http://{HOST}:{port}"

    def workers(self) -> list[int]:
        try:
            return [child.pid for child in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def wait_until_serving(self, workers: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=5) as page:  # noqa: S310
                    if page.status == 200 and len(self.workers()) == workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer with {workers} workers within {seconds:g} s")


@contextmanager
def serving(env: dict, workers: int, threads: int = 1, timeout: int = 60):
    """gunicorn on a free port until the block ends; its log's tail is printed on a failure."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", APP, f"--bind={HOST}:{port}", f"--chdir={ROOT}"]
    command += f"--workers={workers} --timeout={timeout} --graceful-timeout=10".split()
    command += ["--log-level=warning"]
    if threads > 1:
        command += ["--worker-class=gthread", f"--threads={threads}"]
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            server = Gunicorn(process, port)
            server.wait_until_serving(workers)
            yield server
        except BaseException:
            log.seek(0)
            print("gunicorn log (tail):\n" + log.read()[-3000:])
            raise
        finally:
            process.terminate()  # SIGTERM: a graceful shutdown of the workers
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def measure_ratios(database: str, kind: str, spec: dict, users: int, **extra: str):
    """Seed `database` for `kind`, serve it with 2 gunicorn workers and run the loadgen's
    ratio mode on it: (seeded, loadgen result, database url)."""
    url = database_url(database)
    recreate_database(url)
    password = secrets.token_urlsafe(16)
    env = server_env(url, BENCH_USER_PASSWORD=password, **extra)
    seeded = seed(env, kind, "--users", str(users))
    with serving(env, RATIO_WORKERS) as server:
        spec = {
            **RATIO_SLICES,
            **spec,
            "mode": "ratio",
            "host": server.url,
            "accounts": seeded["clients"],
            "password": password,
            "workers": server.workers(),
        }
        return seeded, loadgen(spec, timeout=600), url


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """Median of the per-cycle ratios (a cycle measures both sides within a few seconds), so
    other work on the machine weighs on both sides of every ratio alike."""
    ratios = [n / d for n, d in zip(numerators, denominators, strict=True) if d]
    return statistics.median(ratios) if ratios else 0.0


def loadgen(spec: dict, timeout: float, on_line=None) -> dict:
    """Run `bench/loadgen.py` (locust) with `spec`, killed after `timeout` s; the lines it
    prints before its JSON go to on_line as they come."""
    command = [sys.executable, str(ROOT / "bench" / "loadgen.py")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE) as process:  # fmt: skip
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        process.stdin.write(json.dumps(spec))
        process.stdin.close()
        last = ""
        for line in process.stdout:
            last = line
            if on_line and not line.startswith("{"):
                on_line(line.strip())
        watchdog.cancel()
        if process.wait() != 0:
            raise BenchError(f"the load generator failed or timed out ({process.returncode})")
    return json.loads(last)


@contextmanager
def orm(url: str):
    """The bench database as a Django connection alias of this process, to check what the
    server stored with the ORM."""
    alias = "bench"
    config = dj_database_url.parse(url)
    connections.settings[alias] = connections.configure_settings(
        {"default": config, alias: config}
    )[alias]
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]
