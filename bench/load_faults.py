"""Faults lose nothing: the twenty-reviewer load, with a gunicorn worker killed mid-save and a
PostgreSQL restart on the way.

The same reviewers as `bench/load_reviewers.py` (own user and session each, real login form,
a new assessment each, all 9 wizard steps, then the report), against gunicorn (3 sync workers)
on PostgreSQL, but a reviewer now behaves like a person when a request fails: it waits a
moment, opens the step again and sends the same answers again, until they are saved. Meanwhile:

1. once a fifth of the saves are acknowledged, one worker (never the arbiter) is frozen
   (SIGSTOP) while its database session is inside a save's transaction (pg_stat_activity:
   "idle in transaction" after an UPDATE or INSERT of an assessment, an answer or their
   history) and then killed (SIGKILL); gunicorn's arbiter starts a new worker;
2. once 45% are acknowledged, PostgreSQL is restarted (`pg_ctl restart -m fast`, what
   `pg_ctlcluster ... restart` does).

Then, from what every client saw and what the database holds (read in a subprocess after
gunicorn stopped):

- acknowledged saves: a step POST answered by the 302 to the next step or the report; every
  answer in them must be stored exactly as posted (question, choice, note). "lost" counts the
  ones that are not, and must be 0;
- every failed request must have told its client: no response at all (the killed worker's
  connection), an HTTP error status, or the page saying so ("Not saved, try again", a stale
  warning). A failure that looks like anything else (a 200 without the message, a redirect
  elsewhere) counts as "failed, not told", and must be 0;
- recovered: every request sent after PostgreSQL was back succeeded, every reviewer finished,
  and gunicorn runs its full count of workers under the same arbiter (no restart of the app).

PostgreSQL here is a throwaway cluster of this run's own (initdb in a temporary directory, on a
free port of 127.0.0.1, as the `postgres` user when run as root), removed afterwards: restarting
the shared local cluster would break everyone else's connections to it (other test runs, a
developer's server). It needs PostgreSQL's server programs, which `scripts/start-postgres.sh`
installs (`bench/load_reviewers.py` runs it first). Everything is bounded (RUN_BUDGET).

    .venv/bin/python bench/load_faults.py [--reviewers 20] [--workers 3]
    .venv/bin/python bench/run.py load_reviewers        # runs it after the plain load
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import note, report  # noqa: E402
from bench.load_reviewers import (  # noqa: E402
    DATABASE,
    REVIEWERS,
    SIGN_IN_BUDGET,
    STEP_PATH,
    STEP_TITLE,
    STEPS,
    WORKERS,
    Reviewer,
    answers_for,
    phase,
    remaining,
    start_server,
    step_form,
    stored_answers,
)
from bench.wizard_http import (  # noqa: E402
    CSRF_INPUT,
    HOST,
    TIMEOUT,
    VERSION_INPUT,
    BenchError,
    Client,
    free_port,
    server_env,
    stop,
    wait_until_serving,
    worker_pids,
)

RUN_BUDGET = 180.0  # seconds: cluster, seeding, gunicorn, load with faults, check, teardown
LOAD_BUDGET = 90.0  # the clients, faults included
AFTER_LOAD = 40.0  # kept free after the clients' deadline: stop gunicorn, check, tear down
KILL_AT, RESTART_AT = 0.20, 0.45  # share of all saves acknowledged before each fault
HUNT = 15.0  # seconds to catch a worker inside a save before killing one regardless
RETRY_PAUSE = 0.25  # seconds a reviewer waits after a failed request before trying again
# What the app says when it could not save; the 503 page outside the wizard says "Try again".
TOLD = ("Not saved, try again", "Try again in a moment", 'id="stale-warning"', "nothing was saved")
SAVE_SQL = r'^(UPDATE|INSERT INTO) "assessor_(historical)?(assessment|answer)"'
IN_SAVE = """
    SELECT pid, client_port, state, left(query, 60) FROM pg_stat_activity
    WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()
      AND state IN ('active', 'idle in transaction') AND query ~ %s
"""


# --- a PostgreSQL of this run's own ---------------------------------------------------------


class Cluster:
    """initdb, start, restart and remove a throwaway PostgreSQL cluster on 127.0.0.1."""

    def __init__(self):
        self.bindir = server_programs()
        self.home = Path(tempfile.mkdtemp(prefix="assessor-faults-"))
        self.data, self.log = self.home / "data", self.home / "postgresql.log"
        self.port = free_port()
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            shutil.chown(self.home, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgres://assessor@{HOST}:{self.port}/{DATABASE}"

    def ctl(self, *args: str, timeout: float = 60) -> None:
        command = [*self.as_owner, str(self.bindir / args[0]), *args[1:]]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as late:
            raise BenchError(f"{args[0]} {args[1] if len(args) > 1 else ''} timed out") from late
        if done.returncode != 0:
            raise BenchError(f"{args[0]} failed: {(done.stdout + done.stderr).strip()[-500:]}")

    def start(self) -> None:
        self.ctl("initdb", "-D", str(self.data), "-U", "assessor", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.home} -c listen_addresses={HOST}"
        self.pg_ctl("start", "-o", options)

    def pg_ctl(self, action: str, *args: str) -> None:
        # -l on every start: the server's output goes to the log, never to this process's pipes
        self.ctl(
            "pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", *args
        )

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")  # the options of the last start are kept

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.ctl(
                    "pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", timeout=30
                )
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def server_programs() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian layout), or initdb's on PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)],
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise BenchError("PostgreSQL's initdb and pg_ctl are not installed (scripts/start-postgres.sh)")


# --- the reviewers, who try again ----------------------------------------------------------


@dataclass
class Progress:
    """Acknowledged saves so far, for the fault injector to pick its moments."""

    total: int
    acked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self) -> None:
        with self.lock:
            self.acked += 1


@dataclass
class Persistent(Reviewer):
    """A reviewer who sends a failed request again, and what each request came to."""

    progress: Progress | None = None
    acked: dict[str, tuple[str, str]] = field(default_factory=dict)  # stored, it was told
    acked_saves: int = 0
    told: Counter = field(default_factory=Counter)  # how failed requests said so
    untold: list[str] = field(default_factory=list)
    log: list[list] = field(default_factory=list)  # [sent at (monotonic), succeeded]

    def call(self, kind: str, method: str, path: str, form: dict | None = None):
        self.log.append([time.monotonic(), True])
        return self.request(kind, method, path, form)

    def failed(self, what: str, status: int, location: str, page: str) -> None:
        """Record a failed request: how it told its client, or that it did not."""
        self.log[-1][1] = False
        if status == 0:
            self.told["no response (connection dropped)"] += 1
        elif status == 503 and 'id="wizard-form"' in page and TOLD[0] in page:
            self.told["503 step page saying not saved, try again (answers kept)"] += 1
        elif status == 503 and any(text in page for text in TOLD):
            self.told["503 page saying not saved or try again"] += 1
        elif status >= 400:
            self.told[f"HTTP {status}"] += 1
        elif status == 200 and any(text in page for text in TOLD):
            self.told["200 page saying not saved"] += 1
        else:
            self.untold.append(f"{what}: HTTP {status} {location!r}")


def persist(reviewer: Persistent, deadline: float, attempt) -> str | None:
    """Call attempt() until it returns where to go next, or the deadline passes."""
    while time.monotonic() < deadline:
        result = attempt()
        if result is not None:
            return result
        time.sleep(RETRY_PAUSE)
    reviewer.fail("out of time")
    return None


def create(reviewer: Persistent) -> str | None:
    status, location, page = reviewer.call("new GET", "GET", "/assessments/new/")
    token = CSRF_INPUT.search(page.encode())
    if status != 200 or token is None:
        return reviewer.failed("GET /assessments/new/", status, location, page)
    form = {
        "csrfmiddlewaretoken": token.group(1).decode(),
        "name": f"Leaver deprovisioning {reviewer.number} ({reviewer.run_id})",
        "description": "Disable the accounts of leavers in the IdP and close their tickets.",
        "system": "Okta",
        "business_owner": "IAM operations",
    }
    status, location, page = reviewer.call("create POST", "POST", "/assessments/new/", form)
    created = STEP_PATH.match(location) if status == 302 else None
    if created is None:
        return reviewer.failed("POST /assessments/new/", status, location, page)
    reviewer.assessment = int(created.group(1))
    return location


def save_step(reviewer: Persistent, path: str, step: int) -> str | None:
    """Open the step, post its answers: the next page's path once the save is acknowledged."""
    status, location, page = reviewer.call("step GET", "GET", path)
    raw = page.encode()
    token, version, title = (
        CSRF_INPUT.search(raw),
        VERSION_INPUT.search(raw),
        STEP_TITLE.search(page),
    )
    if status != 200 or token is None or version is None or title is None:
        return reviewer.failed(f"GET step {step}", status, location, page)
    if (int(title.group(1)), int(title.group(2))) != (step, STEPS):
        return reviewer.failed(f"GET step {step}: another step", status, location, page)
    answers = answers_for(reviewer, step, page)
    last = step == STEPS
    form = step_form(token.group(1).decode(), int(version.group(1)), answers, last)
    reviewer.sent.update(answers)
    status, location, page = reviewer.call("step POST", "POST", path, form)
    pk = reviewer.assessment
    expected = f"/assessments/{pk}/report/" if last else f"/assessments/{pk}/step/{step + 1}/"
    if status == 302 and location == expected:
        reviewer.acked.update(answers)
        reviewer.acked_saves += 1
        reviewer.progress.ack()
        return location
    return reviewer.failed(f"POST step {step}", status, location, page)


def open_report(reviewer: Persistent, path: str) -> str | None:
    status, location, page = reviewer.call("report GET", "GET", path)
    if status == 200:
        return path
    return reviewer.failed("GET the report", status, location, page)


def complete(reviewer: Persistent, deadline: float) -> None:
    path = persist(reviewer, deadline, lambda: create(reviewer))
    for step in range(1, STEPS + 1):
        if path is None:
            return
        path = persist(reviewer, deadline, lambda s=step, p=path: save_step(reviewer, p, s))
    if path is not None and persist(reviewer, deadline, lambda: open_report(reviewer, path)):
        reviewer.finished = True


# --- the faults -------------------------------------------------------------------------------


@dataclass
class Faults:
    killed: str = ""  # what the killed worker was doing
    restart: tuple[float, float] = (0.0, 0.0)  # monotonic: restart began, PostgreSQL back
    error: str = ""


def socket_owner(pids: list[int], local_port: int, remote_port: int) -> int | None:
    """Which of these processes holds the TCP connection 127.0.0.1:local -> :remote."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":"), fields[2].split(":")
        if int(local[1], 16) == local_port and int(remote[1], 16) == remote_port:
            inode = fields[9]
    if inode is None:
        return None
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        if f"socket:[{inode}]" in links:
            return pid
    return None


def kill_mid_save(master: int, url: str, pg_port: int, hunt: float) -> dict:
    """SIGKILL a worker whose database session is inside a save's transaction (run in its own
    process, `--phase kill`, so that the clients' threads do not slow its polling down)."""
    import psycopg

    until, polls, seen = time.monotonic() + hunt, 0, 0
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
        while time.monotonic() < until:
            polls += 1
            for backend, port, _, _ in admin.execute(IN_SAVE, [DATABASE, SAVE_SQL]).fetchall():
                worker = socket_owner(worker_pids(master), port, pg_port)
                if worker is None:
                    continue
                seen += 1
                os.kill(worker, signal.SIGSTOP)  # frozen: its transaction cannot move on
                time.sleep(0.02)  # the statement it was running, if any, completes meanwhile
                row = admin.execute(
                    "SELECT state, left(query, 60) FROM pg_stat_activity WHERE pid = %s",
                    [backend],
                ).fetchone()
                if row and row[0] == "idle in transaction" and re.match(SAVE_SQL, row[1]):
                    os.kill(worker, signal.SIGKILL)
                    return {"worker": worker, "after": row[1], "polls": polls, "seen": seen}
                os.kill(worker, signal.SIGCONT)
            time.sleep(0.001)
    workers = worker_pids(master)
    if not workers:
        raise SystemExit("no gunicorn worker to kill")
    os.kill(workers[0], signal.SIGKILL)
    return {"worker": workers[0], "after": "", "polls": polls, "seen": seen}


def inject(master: int, cluster: Cluster, progress: Progress, faults: Faults, done) -> None:
    """The two faults, each once enough saves are acknowledged (a thread)."""

    def wait_for(share: float) -> bool:
        while progress.acked < share * progress.total:
            if done.wait(0.01):
                return False
        return True

    try:
        if wait_for(KILL_AT):
            args = ["--master", str(master), "--url", cluster.url, "--pg-port", str(cluster.port)]
            end = time.monotonic() + HUNT + 20
            killed = phase(
                {**os.environ, "PYTHONPATH": str(ROOT)},
                "kill",
                end,
                HUNT + 20,
                "",
                *args,
                script=Path(__file__).resolve(),
            )
            where = (
                f"its transaction open after {killed['after']}…"
                if killed["after"]
                else f"not caught inside a save within {HUNT:g} s"
            )
            faults.killed = (
                f"worker {killed['worker']}, {where} ({killed['polls']} looks at "
                f"pg_stat_activity, {killed['seen']} workers frozen to check)"
            )
        if wait_for(RESTART_AT):
            began = time.monotonic()
            cluster.restart()
            faults.restart = (began, time.monotonic())
    except Exception as problem:  # reported with the figures
        faults.error = f"{type(problem).__name__}: {problem}"


def run_clients(reviewers, port, password, deadline, server, cluster, progress, faults) -> None:
    ready = threading.Barrier(len(reviewers) + 1)

    def work(reviewer: Persistent) -> None:
        reviewer.client = Client(port)
        try:
            reviewer.client.sign_in(reviewer.username, password)
        except BenchError as problem:
            reviewer.fail(str(problem))
        try:
            ready.wait(timeout=SIGN_IN_BUDGET)
        except threading.BrokenBarrierError:
            reviewer.fail(reviewer.error or "the others did not sign in in time")
            return
        reviewer.client.conn.close()
        if not reviewer.error:
            complete(reviewer, deadline)

    threads = [threading.Thread(target=work, args=(r,), daemon=True) for r in reviewers]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=SIGN_IN_BUDGET)
    except threading.BrokenBarrierError as broken:
        raise BenchError("the reviewers were not all signed in in time") from broken
    done = threading.Event()
    injector = threading.Thread(
        target=inject, args=(server.pid, cluster, progress, faults, done), daemon=True
    )
    injector.start()
    grace = deadline + TIMEOUT + RETRY_PAUSE + 1
    for thread in threads:
        thread.join(max(0.1, grace - time.monotonic()))
    done.set()
    injector.join(max(0.1, grace + 35 - time.monotonic()))
    for reviewer, thread in zip(reviewers, threads, strict=True):
        if thread.is_alive():
            reviewer.fail("still running after the deadline")
        if reviewer.client is not None:
            reviewer.client.close()
    if injector.is_alive():
        faults.error = faults.error or "the fault injector did not finish in time"


# --- the run ----------------------------------------------------------------------------------


def verify_phase(acked: dict) -> dict:
    """Which acknowledged answers the database holds exactly as posted."""
    rows = stored_answers()
    posted = {(pk, key): list(v) for pk, sent in acked.items() for key, v in sent.items()}
    lost = sorted(f"{pk}/{key}" for (pk, key), v in posted.items() if rows.get((pk, key)) != v)
    return {"rows": len(rows), "stored": len(posted) - len(lost), "lost": lost}


def run(reviewers: int = REVIEWERS, workers: int = WORKERS) -> bool:
    began = time.monotonic()
    deadline = began + RUN_BUDGET
    password = secrets.token_urlsafe(16)
    faults, cluster = Faults(), None
    with tempfile.TemporaryFile(mode="w+") as log:
        try:
            cluster = Cluster()
            cluster.start()
            started_at = time.monotonic()
            env = server_env(cluster.url)
            seeded = phase(
                {**env, "BENCH_USER_PASSWORD": password},
                "seed",
                deadline,
                90,
                "",
                "--reviewers",
                str(reviewers),
            )
            seeded_at = time.monotonic()
            run_id = secrets.token_hex(3)
            progress = Progress(total=reviewers * STEPS)
            clients = [
                Persistent(n, name, run_id, progress=progress)
                for n, name in enumerate(seeded["users"], start=1)
            ]
            port = free_port()
            server = start_server(env, port, workers, 1, log)
            try:
                wait_until_serving(server, port, time.monotonic() + remaining(deadline, 30))
                first_workers = set(worker_pids(server.pid))
                load_deadline = time.monotonic() + remaining(deadline - AFTER_LOAD, LOAD_BUDGET)
                run_clients(
                    clients, port, password, load_deadline, server, cluster, progress, faults
                )
                loaded_at = time.monotonic()
                arbiter_alive = server.poll() is None
                last_workers = set(worker_pids(server.pid))
            finally:
                stop(server)
            acked = {str(r.assessment): r.acked for r in clients if r.assessment}
            checked = phase(
                env, "verify", deadline, 20, json.dumps(acked), script=Path(__file__).resolve()
            )
        except BenchError as problem:
            log.seek(0)
            print(log.read()[-3000:])
            return report(f"faults: {problem}", 0, "", "runs", False)
        finally:
            if cluster is not None:
                try:
                    cluster.remove()
                except BenchError as problem:
                    note(f"could not remove the throwaway cluster {cluster.home}: {problem}")
        log.seek(0)
        server_log = log.read().strip()

    saves = sum(r.acked_saves for r in clients)
    answers = sum(len(r.acked) for r in clients)
    told = sum((r.told for r in clients), Counter())
    untold = [f"{r.username}: {line}" for r in clients for line in r.untold]
    lost = len(checked["lost"])
    back = faults.restart[1]
    after = [ok for r in clients for sent, ok in r.log if back and sent >= back]
    finished = sum(r.finished for r in clients)
    replaced = len(first_workers - last_workers)
    recovered = (
        bool(faults.killed and back and after)
        and all(after)
        and finished == len(clients)
        and arbiter_alive
        and len(last_workers) == workers
        and not faults.error
    )
    restart_took = faults.restart[1] - faults.restart[0]
    note(
        f"faults during the load of {reviewers} reviewers (gunicorn {workers} sync workers, a "
        f"throwaway PostgreSQL on {HOST}:{cluster.port}): killed {faults.killed or 'nothing'}; "
        + (f"PostgreSQL restarted in {restart_took:.1f} s" if back else "PostgreSQL not restarted")
        + (f"; injector: {faults.error}" if faults.error else "")
    )
    note(
        f"faults: acknowledged saves {saves} ({answers} answers), stored {checked['stored']}, "
        f"failed and told {sum(told.values())}, lost {lost}, "
        f"recovered {'yes' if recovered else 'no'}"
    )
    note("failed and told: " + (", ".join(f"{k} {v}" for k, v in sorted(told.items())) or "none"))
    ok = report(
        f"faults: acknowledged answers not stored as posted (of {answers})",
        lost,
        "rows",
        "= 0",
        lost == 0 and checked["stored"] == answers,
    )
    for line in checked["lost"][:10]:
        note(f"lost: {line}")
    ok &= report(
        "faults: failed requests that did not tell their client", len(untold), "", "0", not untold
    )
    for line in untold[:10]:
        note(line)
    ok &= report(
        f"faults: failed requests sent after the restart (of {len(after)}), recovered",
        after.count(False),
        "",
        "0, all done",
        recovered,
    )
    note(
        f"recovered {'yes' if recovered else 'no'}: {finished} of {len(clients)} reviewers "
        f"finished; arbiter {'still running' if arbiter_alive else 'gone'}, "
        f"{len(last_workers)} of {workers} workers, {replaced} replaced; "
        f"cluster {started_at - began:.0f} s, seeding {seeded_at - started_at:.0f} s, load "
        f"{loaded_at - seeded_at:.0f} s, wall time {time.monotonic() - began:.0f} s"
    )
    errors = [f"{r.username}: {r.error}" for r in clients if r.error]
    for line in errors[:5]:
        note(line)
    arbiter = [line for line in server_log.splitlines() if "SIGKILL" in line]
    note("gunicorn: " + (arbiter[0] if arbiter else "no word of the killed worker in its log"))
    if not ok and server_log:
        note("gunicorn log (tail):\n" + server_log[-2000:])
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=REVIEWERS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--phase", choices=["verify", "kill"], help=argparse.SUPPRESS)
    parser.add_argument("--master", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--pg-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "verify":
        print(json.dumps(verify_phase(json.load(sys.stdin))))
        return 0
    if args.phase == "kill":
        print(json.dumps(kill_mid_save(args.master, args.url, args.pg_port, HUNT)))
        return 0
    if not 1 <= args.reviewers <= 100 or not 2 <= args.workers <= 16:
        parser.error("--reviewers 1..100, --workers 2..16")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return 0 if run(args.reviewers, args.workers) else 1


if __name__ == "__main__":
    sys.exit(main())
