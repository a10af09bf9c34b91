"""The API over HTTP: gunicorn (2 workers) on PostgreSQL, against a minimal token endpoint.

Two figures, measured in one run with identical load (the same client threads, each with its
own token), in short interleaved slices, as `bench/wizard_http.py` does:

  (a) GET /api/v1/assessments/<id>/result/ of a complete assessment (the leaver example,
      whose path to the next level is the costliest to find);
  (b) GET of a minimal token-authenticated API view (`bench/urls.py`): the token check and
      the per-token rate limit, then a constant body.

Target: (a) >= 50% of (b), no errors. Rate limits stay on (in the shared database cache, as in
production) at a rate no thread reaches. Also printed: the queries of listing 10 and of 100
assessments through the API, counted in-process by the seeding script; they must be equal.
The database is `assessor_api_bench` on the server `wizard_http` uses, recreated each run.
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from bench import wizard_http as base
from bench.common import note, report

DATABASE = "assessor_api_bench"
RATE = "100000/s"  # on, as in production, but never reached


class TokenClient:
    """One script: a keep-alive connection (reopened when the server closes it) and a token."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection(base.HOST, port, timeout=base.TIMEOUT)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 0, b""

    def close(self) -> None:
        self.conn.close()


@dataclass
class Session:
    client: TokenClient
    assessment: int


def result_get(s: Session) -> bool:
    status, body = s.client.get(f"/api/v1/assessments/{s.assessment}/result/")
    return status == 200 and body.startswith(b'{"name"')


def minimal_get(s: Session) -> bool:
    status, body = s.client.get("/bench/api/minimal/")
    return status == 200 and body == b'{"ok":true}'


SCENARIOS = [
    ("a", "API result GET (leaver example, with its path)", result_get),
    ("b", "baseline: minimal token-authenticated API GET", minimal_get),
]


def seed(env: dict[str, str]) -> dict:
    seeded = subprocess.run(
        [sys.executable, str(base.ROOT / "bench" / "seed_api.py"), "--users", str(base.THREADS)],
        env=env,
        cwd=base.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if seeded.returncode != 0:
        print((seeded.stdout + seeded.stderr)[-3000:])
        raise base.BenchError("seeding the API bench database failed (output above)")
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def serve_and_measure(env, clients, port, log) -> tuple[dict, dict]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            base.APP,
            f"--workers={base.WORKERS}",
            f"--bind={base.HOST}:{port}",
            f"--chdir={base.ROOT}",
            "--log-level=warning",
            "--timeout=60",
        ],
        env=env,
        cwd=base.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sessions = [Session(TokenClient(port, c["token"]), c["assessment"]) for c in clients]
    try:
        base.wait_until_serving(server, port, time.monotonic() + 30)
        workers = base.worker_pids(server.pid)
        windows: dict[str, list] = {key: [] for key, _, _ in SCENARIOS}
        errors = {key: 0 for key, _, _ in SCENARIOS}
        for key, _, scenario in SCENARIOS:
            errors[key] += base.measure(sessions, scenario, base.WARMUP, 0.0, workers).errors
        for cycle in range(base.CYCLES):
            turn = cycle % len(SCENARIOS)
            for key, _, scenario in SCENARIOS[turn:] + SCENARIOS[:turn]:
                window = base.measure(sessions, scenario, base.SETTLE, base.SLICE, workers)
                windows[key].append(window)
                errors[key] += window.errors
        return windows, errors
    finally:
        for session in sessions:
            session.client.close()
        base.stop(server)


def run() -> bool:
    began = time.monotonic()
    port = base.free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        try:
            url = urlunsplit(urlsplit(base.database_url())._replace(path=f"/{DATABASE}"))
            env = {**base.server_env(url), "ASSESSOR_API_RATE": RATE}
            seeded = seed(env)
            windows, errors = serve_and_measure(env, seeded["clients"], port, log)
        except base.BenchError as problem:
            log.seek(0)
            print(log.read()[-3000:])
            return report(f"API over HTTP: {problem}", 0, "", "runs", False)
        log.seek(0)
        server_log = log.read().strip()

    note(
        f"gunicorn {base.WORKERS} sync workers; {base.THREADS} client threads, one token each; "
        f"{base.CYCLES} interleaved cycles of {base.SLICE:g} s; rate limit {RATE} per token; "
        f"PostgreSQL {base.redacted(url)}"
    )
    rates = {key: [w.ok / base.SLICE for w in found] for key, found in windows.items()}
    median = {key: statistics.median(values) for key, values in rates.items()}
    ratio = base.paired_ratio(rates["a"], rates["b"])
    labels = {key: f"({key}) {label}, median" for key, label, _ in SCENARIOS}
    report(labels["a"], median["a"], "req/s", ">= 0.5 x (b)", ratio >= base.TARGET_RATIO)
    report(labels["b"], median["b"], "req/s", "baseline", errors["b"] == 0)
    ok = report(
        "API result GET / minimal API GET, (a) / (b), median of cycles",
        ratio,
        "x",
        f">= {base.TARGET_RATIO:.2f}",
        ratio >= base.TARGET_RATIO,
    )
    total = sum(errors.values())
    ok &= report("errors: unexpected answers, both scenarios", total, "", "0", total == 0)
    queries = {int(size): count for size, count in seeded["list_queries"].items()}
    for size, count in sorted(queries.items()):
        report(f"SQL queries to list {size} assessments through the API", count, "", "fixed", True)
    ok &= report(
        "the same for 100 as for 10 records",
        queries[100] - queries[10],
        "more",
        "0",
        queries[100] == queries[10],
    )
    cpu = {
        key: sum(w.server_cpu for w in found) / max(1, sum(w.done for w in found))
        for key, found in windows.items()
    }
    note(
        "gunicorn workers' CPU per request: "
        + ", ".join(f"({key}) {seconds * 1000:.1f} ms" for key, seconds in cpu.items())
    )
    if server_log:
        note("gunicorn log (tail):\n" + server_log[-2000:])
    note(f"wall time {time.monotonic() - began:.0f} s")
    return ok
