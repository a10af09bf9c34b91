"""The wizard over HTTP: gunicorn (2 workers) on PostgreSQL, against signed-in baselines.

Four figures, measured in one run with identical load (the same client threads, each signed in
with its own session, for the same durations), in short interleaved slices:

  (a) GET of a wizard step;               (b) GET of a tiny signed-in template page (baseline);
  (c) POST saving a whole wizard step;    (d) POST saving one row (baseline).

Targets: (a) >= 50% of (b), and (c) >= 50% of (d), with no errors (any answer but the expected
one: 200 for the GETs, a 302 to the next step or page for the POSTs). The baselines live in
`bench/urls.py`, served only under `bench/settings.py`. Every database step runs in a
subprocess against the bench's own database (`assessor_bench`, recreated on each run), so
nothing here depends on the database `bench/run.py` configured in-process.

The database: BENCH_DATABASE_URL if set (any name; the database used is always
`assessor_bench` on that server, dropped and recreated), else the local cluster that
`scripts/start-postgres.sh` starts. Standard library only (`bench/seed_http.py` imports this).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench.common import note, report

ROOT = Path(__file__).resolve().parent.parent
APP = "config.wsgi:application"  # what gunicorn serves, with DJANGO_SETTINGS_MODULE=bench.settings
HOST = "127.0.0.1"
DATABASE = "assessor_bench"

WORKERS = 2  # gunicorn sync workers
THREADS = 4  # client threads, one signed-in session each
WARMUP = 1.5  # seconds of load per scenario, once, before any measurement
# Then CYCLES cycles, each a SLICE of every scenario in turn (the order rotating each cycle),
# each slice after SETTLE seconds of unmeasured load. Each ratio is the median of its per-cycle
# ratios, so other work on the machine (a shared CI box, others' tests) weighs on both sides of
# every ratio alike; each figure is the median of its slices.
SLICE = 1.25
SETTLE = 0.2
CYCLES = 12
MAX_REQUESTS = 20_000  # per thread and window: a bound, never reached on the reference machine
TIMEOUT = 15.0  # seconds, any single request
TARGET_RATIO = 0.5
# Roles per team must not make the wizard slower than it was before them (2026-11-29, issue 12):
# the ratios may not fall below these floors.
FLOOR_GET, FLOOR_POST = 0.27, 0.35

STEP = 5  # "Blast radius": 5 questions (the fifth a follow-up the answers below make visible)
# question key -> (choice, note, evidence link). Every field differs between the two sets, so
# each POST, alternating between them, rewrites all five answers.
ANSWER_SETS = [
    {
        "privilege_scope": ("narrow", "Scoped to one OU.", "https://wiki.example.com/iam/scope-a"),
        "identities_affected": ("one", "One leaver per run.", "https://wiki.example.com/ids-a"),
        "reversibility": ("automatic_rollback", "Rollback job.", "https://wiki.example.com/rb-a"),
        "tool_chaining": ("two_systems", "HR then IdP.", "https://wiki.example.com/iam/chain-a"),
        "chain_credentials": ("separate_per_system", "Own token each.", "https://ex.com/cred-a"),
    },
    {
        "privilege_scope": ("moderate", "Two OUs.", "https://wiki.example.com/iam/scope-b"),
        "identities_affected": ("tens", "Batches of leavers.", "https://wiki.example.com/ids-b"),
        "reversibility": ("manual_rollback", "Runbook only.", "https://wiki.example.com/rb-b"),
        "tool_chaining": ("identity_ticketing_cloud", "IdP, ITSM, AWS.", "https://ex.com/chain-b"),
        "chain_credentials": ("shared_token", "One token shared.", "https://ex.com/cred-b"),
    },
]

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(rb'name="version" value="(\d+)"')  # the wizard's optimistic lock


class BenchError(Exception):
    """The bench could not set itself up (as opposed to a request failing under load)."""


class Client:
    """One browser: a keep-alive connection (reopened when the server closes it) and cookies."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 0, "", b""
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location", ""), content

    def sign_in(self, username: str, password: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        token = CSRF_INPUT.search(page)
        if status != 200 or token is None:
            raise BenchError(f"login page: HTTP {status}, CSRF token found: {token is not None}")
        form = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
        status, location, _ = self.request("POST", "/accounts/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise BenchError(f"sign-in of {username}: HTTP {status} to {location!r}, no session")

    def open_form(self, path: str) -> tuple[str, int]:
        """The CSRF token and version of a wizard step's form, as a browser would submit them."""
        status, _, page = self.request("GET", path)
        token, version = CSRF_INPUT.search(page), VERSION_INPUT.search(page)
        if status != 200 or token is None or version is None:
            raise BenchError(
                f"GET {path}: HTTP {status}, CSRF token found: {token is not None}, "
                f"version found: {version is not None}"
            )
        return token.group(1).decode(), int(version.group(1))

    def close(self) -> None:
        self.conn.close()


@dataclass
class Session:
    """One client thread's signed-in browser and what it works on."""

    client: Client
    wizard: int
    baseline: int
    token: str = ""
    version: int = 0  # the assessment's version this browser last saw (each save bumps it)
    posts: int = 0  # wizard POSTs sent, to alternate the answer sets
    saves: int = 0

    @property
    def step_path(self) -> str:
        return f"/assessments/{self.wizard}/step/{STEP}/"


def wizard_form(token: str, version: int, answers: dict) -> dict:
    form = {"csrfmiddlewaretoken": token, "version": version, "next": "1"}
    for key, (choice, text, link) in answers.items():
        form.update({key: choice, f"{key}-note": text, f"{key}-evidence": link})
    return form


# Each scenario: one request of one session -> True if it got the expected answer.
def wizard_get(s: Session) -> bool:
    status, _, _ = s.client.request("GET", s.step_path)
    return status == 200


def minimal_get(s: Session) -> bool:
    status, _, _ = s.client.request("GET", "/bench/minimal/")
    return status == 200


def wizard_post(s: Session) -> bool:
    answers = ANSWER_SETS[s.posts % len(ANSWER_SETS)]
    s.posts += 1
    form = wizard_form(s.token, s.version, answers)
    status, location, page = s.client.request("POST", s.step_path, form)
    # A 302 to the sign-in page, or back to this step, would not be a save.
    if status == 302 and location == f"/assessments/{s.wizard}/step/{STEP + 1}/":
        s.version += 1
        return True
    found = VERSION_INPUT.search(page)  # e.g. a refused stale save: resume from the page's
    if found:
        s.version = int(found.group(1))
    return False


def save_post(s: Session) -> bool:
    s.saves += 1
    form = {"csrfmiddlewaretoken": s.token, "assessment": s.baseline, "note": f"save {s.saves}"}
    status, location, _ = s.client.request("POST", "/bench/save/", form)
    return status == 302 and location == "/bench/minimal/"


SCENARIOS = [
    ("a", f"wizard step GET (step {STEP}), signed in", wizard_get),
    ("b", "baseline: tiny signed-in template page GET", minimal_get),
    ("c", f"wizard step POST saving step {STEP} (5 answers + notes + links)", wizard_post),
    ("d", "baseline: signed-in POST saving one row", save_post),
]


@dataclass
class Window:
    ok: int = 0  # expected answers completed inside the measured span
    done: int = 0  # every answer, lead-in included
    errors: int = 0  # unexpected answers, lead-in included
    server_cpu: float = 0.0  # seconds of CPU the gunicorn workers spent meanwhile


def measure(sessions: list[Session], scenario, lead_in: float, duration: float, workers) -> Window:
    """Run one scenario on every session at once: lead_in seconds, then duration measured."""
    window = Window()
    lock = threading.Lock()
    start = time.perf_counter() + 0.05
    measured_from = start + lead_in
    measured_to = measured_from + duration

    def work(session: Session) -> None:
        ok = errors = sent = 0
        time.sleep(max(0.0, start - time.perf_counter()))
        while sent < MAX_REQUESTS and time.perf_counter() < measured_to:
            sent += 1
            good = scenario(session)
            finished = time.perf_counter()
            if not good:
                errors += 1
            elif measured_from <= finished <= measured_to:
                ok += 1
        with lock:
            window.ok += ok
            window.done += sent
            window.errors += errors

    cpu_before = cpu_seconds(workers)
    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(lead_in + duration + 2 * TIMEOUT)
    window.server_cpu = cpu_seconds(workers) - cpu_before
    if any(thread.is_alive() for thread in threads):
        raise BenchError("a client thread did not finish in time")
    return window


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the processes whose parent is the master."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (Linux /proc), to explain the figures."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """Median of the per-cycle ratios (a cycle measures both sides within a few seconds)."""
    ratios = [n / d for n, d in zip(numerators, denominators, strict=True) if d]
    return statistics.median(ratios) if ratios else 0.0


def database_url() -> str:
    """postgres://.../assessor_bench: BENCH_DATABASE_URL, or the local cluster's, renamed."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        started = subprocess.run(
            [str(ROOT / "scripts" / "start-postgres.sh")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if started.returncode != 0:
            raise BenchError(f"scripts/start-postgres.sh failed: {started.stderr.strip()}")
        url = started.stdout.strip().splitlines()[-1]
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{DATABASE}"))


def server_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=url,
        DJANGO_DEBUG="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_serving(server: subprocess.Popen, port: int, deadline: float) -> None:
    probe = Client(port)
    try:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise BenchError(f"gunicorn exited with status {server.returncode}")
            status, _, _ = probe.request("GET", "/accounts/login/")
            if status == 200:
                return
            time.sleep(0.2)
    finally:
        probe.close()
    raise BenchError("gunicorn did not answer within 30 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown of the workers
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def redacted(url: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:***@{parts.hostname}:{parts.port}" if parts.password else None
    return urlunsplit(parts._replace(netloc=netloc or parts.netloc))


def seed(env: dict[str, str], password: str) -> list[dict]:
    """Recreate, migrate and fill the bench database, in a subprocess; the accounts made."""
    seeded = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "seed_http.py"), "--users", str(THREADS)],
        env={**env, "BENCH_USER_PASSWORD": password},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if seeded.returncode != 0:
        print((seeded.stdout + seeded.stderr)[-3000:])
        raise BenchError("seeding the bench database failed (output above)")
    return json.loads(seeded.stdout.strip().splitlines()[-1])["clients"]


def serve_and_measure(env, accounts, password, port, log) -> tuple[dict, dict]:
    """Start gunicorn, sign everyone in, run every scenario CYCLES times; always stop it."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            APP,
            f"--workers={WORKERS}",
            f"--bind={HOST}:{port}",
            f"--chdir={ROOT}",
            "--log-level=warning",
            "--timeout=60",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sessions: list[Session] = []
    try:
        wait_until_serving(server, port, time.monotonic() + 30)
        for account in accounts:
            client = Client(port)
            sessions.append(Session(client, account["wizard"], account["baseline"]))
            client.sign_in(account["username"], password)
        for session in sessions:
            session.token, session.version = session.client.open_form(session.step_path)
        workers = worker_pids(server.pid)
        if len(workers) != WORKERS:
            raise BenchError(f"expected {WORKERS} gunicorn workers, found {len(workers)}")
        windows: dict[str, list[Window]] = {key: [] for key, _, _ in SCENARIOS}
        errors = {key: 0 for key, _, _ in SCENARIOS}
        for key, _, scenario in SCENARIOS:
            errors[key] += measure(sessions, scenario, WARMUP, 0.0, workers).errors
        for cycle in range(CYCLES):
            turn = cycle % len(SCENARIOS)
            for key, _, scenario in SCENARIOS[turn:] + SCENARIOS[:turn]:
                window = measure(sessions, scenario, SETTLE, SLICE, workers)
                windows[key].append(window)
                errors[key] += window.errors
        # The POSTs really wrote: step 5 shows the answer set each session saved last.
        for session in sessions:
            last = ANSWER_SETS[(session.posts - 1) % len(ANSWER_SETS)]
            _, _, page = session.client.request("GET", session.step_path)
            if session.posts and any(text.encode() not in page for _, text, _ in last.values()):
                errors["c"] += 1
        return windows, errors
    finally:
        for session in sessions:
            session.client.close()
        stop(server)


def run() -> bool:
    began = time.monotonic()
    password = secrets.token_urlsafe(16)
    port = free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        try:
            url = database_url()
            env = server_env(url)
            accounts = seed(env, password)
            windows, errors = serve_and_measure(env, accounts, password, port, log)
        except BenchError as problem:
            log.seek(0)
            print(log.read()[-3000:])
            return report(f"wizard over HTTP: {problem}", 0, "", "runs", False)
        log.seek(0)
        server_log = log.read().strip()

    note(
        f"gunicorn {WORKERS} sync workers on {HOST}:{port}; {THREADS} client threads "
        f"(http.client), each its own session; {WARMUP:g} s warm-up per scenario, then "
        f"{CYCLES} cycles of {SLICE:g} s per scenario, interleaved; PostgreSQL {redacted(url)}"
    )
    rates = {key: [w.ok / SLICE for w in found] for key, found in windows.items()}
    median = {key: statistics.median(values) for key, values in rates.items()}
    ratio_get = paired_ratio(rates["a"], rates["b"])
    ratio_post = paired_ratio(rates["c"], rates["d"])
    labels = {key: f"({key}) {label}, median" for key, label, _ in SCENARIOS}
    report(labels["a"], median["a"], "req/s", ">= 0.5 x (b)", ratio_get >= TARGET_RATIO)
    report(labels["b"], median["b"], "req/s", "baseline", errors["b"] == 0)
    report(labels["c"], median["c"], "req/s", ">= 0.5 x (d)", ratio_post >= TARGET_RATIO)
    report(labels["d"], median["d"], "req/s", "baseline", errors["d"] == 0)
    ok = report(
        "wizard GET / baseline GET, (a) / (b), median of cycles",
        ratio_get,
        "x",
        f">= {TARGET_RATIO:.2f}",
        ratio_get >= TARGET_RATIO,
    )
    ok &= report(
        "wizard POST / baseline POST, (c) / (d), median of cycles",
        ratio_post,
        "x",
        f">= {TARGET_RATIO:.2f}",
        ratio_post >= TARGET_RATIO,
    )
    ok &= report(
        "wizard GET ratio, kept at or above its level before roles per team",
        ratio_get,
        "x",
        f">= {FLOOR_GET:.2f}",
        ratio_get >= FLOOR_GET,
    )
    ok &= report(
        "wizard POST ratio, kept at or above its level before roles per team",
        ratio_post,
        "x",
        f">= {FLOOR_POST:.2f}",
        ratio_post >= FLOOR_POST,
    )
    total = sum(errors.values())
    ok &= report("errors: unexpected answers, all scenarios", total, "", "0", total == 0)
    note("errors per scenario: " + ", ".join(f"({key}) {n}" for key, n in errors.items()))
    note(
        "req/s per slice, min-max: "
        + ", ".join(f"({key}) {min(v):.0f}-{max(v):.0f}" for key, v in rates.items())
    )
    cpu = {
        key: sum(w.server_cpu for w in found) / max(1, sum(w.done for w in found))
        for key, found in windows.items()
    }
    note(
        "gunicorn workers' CPU per request (PostgreSQL's not counted; steadier than req/s when "
        "the machine is busy): "
        + ", ".join(f"({key}) {seconds * 1000:.1f} ms" for key, seconds in cpu.items())
        + f"; CPU ratios (b)/(a) {cpu['b'] / max(cpu['a'], 1e-9):.2f}, "
        f"(d)/(c) {cpu['d'] / max(cpu['c'], 1e-9):.2f}"
    )
    if server_log:
        note("gunicorn log (tail):\n" + server_log[-2000:])
    note(f"wall time {time.monotonic() - began:.0f} s")
    return ok
