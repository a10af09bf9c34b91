"""The twenty-reviewer load with a worker killed mid-save and a PostgreSQL restart: lose nothing.

Reviewers retry a failed save as a person would. At KILL_AT of the acknowledged saves one worker
is frozen inside a save's transaction and killed; at RESTART_AT PostgreSQL (a throwaway cluster
of this run's own, so the shared one is untouched) restarts. docs/operator-guide.md, "Performance".
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import psycopg

from bench.common import STEPS, note, report
from bench.load_reviewers import REVIEWERS, WORKERS, reviewer_spec, stored_answers
from bench.server import HOST, BenchError, free_port, loadgen, orm, seed, server_env, serving

DATABASE = "assessor_load_bench"
LOAD_BUDGET = 90.0  # seconds for the clients, faults included
KILL_AT, RESTART_AT = 0.20, 0.45  # share of all saves acknowledged before each fault
HUNT = 15.0  # seconds to catch a worker inside a save before killing one regardless
SAVE_SQL = r'^(UPDATE|INSERT INTO) "assessor_(historical)?(assessment|answer)"'
IN_SAVE = """
    SELECT pid, client_port FROM pg_stat_activity
    WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()
      AND state IN ('active', 'idle in transaction') AND query ~ %s
"""
LOST = "faults: acknowledged answers not stored as posted"
UNTOLD = "faults: failed requests that did not tell their client"
RECOVERED = "faults: failed requests sent after the restart"
AFTER = "SELECT state, left(query, 60) FROM pg_stat_activity WHERE pid = %s"


class Cluster:
    """initdb, start, restart and remove a throwaway PostgreSQL cluster on 127.0.0.1."""

    def __init__(self):
        found = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"),
            key=lambda p: [int(n) for n in re.findall(r"\d+", p.parts[-3])],
        )
        if not found:
            raise BenchError("PostgreSQL's initdb is not installed (scripts/start-postgres.sh)")
        self.bindir, self.home = found[-1].parent, Path(tempfile.mkdtemp(prefix="assessor-faults-"))
        self.data, self.port = self.home / "data", free_port()
        self.as_owner = []
        if os.geteuid() == 0:  # the server refuses to run as root
            shutil.chown(self.home, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgres://assessor@{HOST}:{self.port}/{DATABASE}"
        self.ctl("initdb", "-D", str(self.data), "-U", "assessor", "--auth=trust", "-E", "UTF8")
        self.pg_ctl("start", "-o", f"-p {self.port} -k {self.home} -c listen_addresses={HOST}")
        self.ctl("createdb", "-h", HOST, "-p", str(self.port), "-U", "assessor", DATABASE)

    def ctl(self, program: str, *args: str) -> None:
        command = [*self.as_owner, str(self.bindir / program), *args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired as late:
            raise BenchError(f"{program} timed out") from late
        if done.returncode != 0:
            raise BenchError(f"{program} failed: {(done.stdout + done.stderr).strip()[-500:]}")

    def pg_ctl(self, action: str, *args: str) -> None:
        # -l: the server's output goes to its log, never to this process's pipes
        log = str(self.home / "postgresql.log")
        self.ctl("pg_ctl", action, "-D", str(self.data), "-l", log, "-w", "-t", "30", *args)

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def socket_owner(workers: list[int], port: int, pg_port: int) -> int | None:
    """Which worker holds the connection from local `port` to PostgreSQL (psutil)."""
    for pid in workers:
        for conn in psutil.Process(pid).net_connections("tcp"):
            if conn.laddr.port == port and conn.raddr and conn.raddr.port == pg_port:
                return pid
    return None


def kill_mid_save(workers: list[int], cluster: Cluster) -> str:
    """SIGKILL a worker whose database session is inside a save's transaction."""
    until, polls, seen = time.monotonic() + HUNT, 0, 0
    with psycopg.connect(cluster.url, autocommit=True, connect_timeout=5) as admin:
        while time.monotonic() < until:
            polls += 1
            for backend, port in admin.execute(IN_SAVE, [DATABASE, SAVE_SQL]).fetchall():
                worker = socket_owner(workers, port, cluster.port)
                if worker is None:
                    continue
                seen += 1
                os.kill(worker, signal.SIGSTOP)  # frozen: its transaction cannot move on
                time.sleep(0.02)  # the statement it was running, if any, completes meanwhile
                row = admin.execute(AFTER, [backend]).fetchone()
                if row and row[0] == "idle in transaction" and re.match(SAVE_SQL, row[1]):
                    os.kill(worker, signal.SIGKILL)
                    return (
                        f"worker {worker}, its transaction open after {row[1]}… ({polls} "
                        f"looks at pg_stat_activity, {seen} workers frozen to check)"
                    )
                os.kill(worker, signal.SIGCONT)
            time.sleep(0.001)
    os.kill(workers[0], signal.SIGKILL)
    return f"worker {workers[0]}, not caught inside a save within {HUNT:g} s"


class Injector(threading.Thread):
    """The two faults, each once enough saves are acknowledged."""

    def __init__(self, workers: list[int], cluster: Cluster, total: int):
        super().__init__(daemon=True)
        self.workers, self.cluster, self.total = workers, cluster, total
        self.acked, self.moved = 0, threading.Condition()
        self.killed, self.error, self.restart = "", "", (0.0, 0.0)

    def ack(self, line: str) -> None:
        with self.moved:
            self.acked += line.startswith("ACK")
            self.moved.notify_all()

    def wait_for(self, share: float) -> None:
        with self.moved:
            self.moved.wait_for(lambda: self.acked >= share * self.total, timeout=LOAD_BUDGET)

    def run(self) -> None:
        try:
            self.wait_for(KILL_AT)
            self.killed = kill_mid_save(self.workers, self.cluster)
            self.wait_for(RESTART_AT)
            began = time.time()
            self.cluster.pg_ctl("restart", "-m", "fast")  # the options of the last start kept
            self.restart = (began, time.time())
        except Exception as problem:  # reported with the figures
            self.error = f"{type(problem).__name__}: {problem}"


def faulty_load(cluster: Cluster, reviewers: int, workers: int):
    env = server_env(cluster.url, BENCH_USER_PASSWORD="bench-faults-1")
    users = seed(env, "load", "--users", str(reviewers))["users"]
    with serving(env, workers) as server:
        first = set(server.workers())
        injector = Injector(sorted(first), cluster, reviewers * STEPS)
        injector.start()
        spec = reviewer_spec(server, users, "bench-faults-1", True, LOAD_BUDGET)
        result = loadgen(spec, LOAD_BUDGET + 60, on_line=injector.ack)
        injector.join(30)
        last, alive = set(server.workers()), server.process.poll() is None
    acked = {str(r["assessment"]): r["acked"] for r in result["results"] if r["assessment"]}
    with orm(cluster.url) as alias:
        rows = stored_answers(alias)
    posted = {(pk, k): v for pk, sent in acked.items() for k, v in sent.items()}
    lost = sorted(f"{pk}/{k}" for (pk, k), v in posted.items() if rows.get((pk, k)) != v)
    return result, injector, lost, (first, last, alive)


def run(reviewers: int = REVIEWERS, workers: int = WORKERS) -> bool:
    began, cluster = time.monotonic(), None
    try:
        cluster = Cluster()
        result, faults, lost, (first, last, alive) = faulty_load(cluster, reviewers, workers)
    finally:
        if cluster is not None:
            cluster.remove()
    records, back = result["results"], faults.restart[1]
    after = [ok for r in records for sent, ok in r["log"] if back and sent >= back]
    finished = sum(r["finished"] for r in records)
    recovered = (
        bool(faults.killed and back and after)
        and all(after)
        and alive
        and finished == len(records)
        and len(last) == workers
        and not faults.error
    )
    took = faults.restart[1] - faults.restart[0]
    note(
        f"faults during the load of {reviewers} reviewers (gunicorn {workers} sync workers, a "
        f"throwaway PostgreSQL on {HOST}:{cluster.port}): killed {faults.killed or 'nothing'}; "
        + (f"PostgreSQL restarted in {took:.1f} s" if back else "PostgreSQL not restarted")
        + (f"; injector: {faults.error}" if faults.error else "")
    )
    ok = report_faults(records, lost, recovered)
    failed = after.count(False)
    ok &= report(f"{RECOVERED} (of {len(after)}), recovered", failed, "", "0, all done", recovered)
    note(
        f"recovered {'yes' if recovered else 'no'}: {finished} of {len(records)} reviewers "
        f"finished; arbiter {'still running' if alive else 'gone'}, {len(last)} of {workers} "
        f"workers, {len(first - last)} replaced; wall time {time.monotonic() - began:.0f} s"
    )
    return ok


def report_faults(records: list[dict], lost: list[str], recovered: bool) -> bool:
    """Every acknowledged answer stored, every failure told to its client."""
    saves, answers = sum(r["saves"] for r in records), sum(len(r["acked"]) for r in records)
    told = sum((Counter(r["told"]) for r in records), Counter())
    untold = [f"{r['username']}: {line}" for r in records for line in r["untold"]]
    note(
        f"faults: acknowledged saves {saves} ({answers} answers), stored {answers - len(lost)}, "
        f"failed and told {sum(told.values())}, lost {len(lost)}, "
        f"recovered {'yes' if recovered else 'no'}"
    )
    note("failed and told: " + (", ".join(f"{k} {v}" for k, v in sorted(told.items())) or "none"))
    ok = report(f"{LOST} (of {answers})", len(lost), "rows", "= 0", not lost)
    for line in lost[:10]:
        note(f"lost: {line}")
    ok &= report(UNTOLD, len(untold), "", "0", not untold)
    for line in untold[:10] + [f"{r['username']}: {r['error']}" for r in records if r["error"]][:5]:
        note(line)
    return ok
