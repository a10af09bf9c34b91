"""Twenty reviewers at once: each completes an assessment through the real pages, over HTTP.

gunicorn (sync workers, 3 by default) on PostgreSQL, on 127.0.0.1 only. Each reviewer is its
own user (all reviewers of one team: a Membership made by `assessor.membership.member_add`),
signs in through the real login form, creates an assessment through POST /assessments/new/,
then answers all 9 wizard steps as a browser would: GET the step, read its CSRF token, its
`version` (the optimistic lock) and its questions, POST every visible question with a choice
and a note ("Save and next", then "Save and see the report" on the last step), follow the 302
to the next step, and finally open the report. Each reviewer owns its assessment, so a stale
refusal can only be a bug: it counts as an error, like any save that is not a 302 to the next
page, any page that is not a 200, a version that is not the last one plus 1, or a timeout.

After the run, a subprocess counts the Answer rows in the database and compares every row
(assessment, question, choice, note) with what the clients posted. PASS only with 0 errors and
saved == sent, row for row. Also printed: p95 (and median) latency of a step POST and a step
GET, and the durations.

Sync workers rather than gthread: a wizard request is mostly CPU-bound Python (forms, scoring,
template rendering: 15-20 ms of worker CPU each), so on 2 cores threads inside a worker only
contend for its GIL. Measured on the 2-core machine (shared, so figures vary by up to 2x from
run to run), 2, 3 and 4 sync workers and gthread (2 x 4, 3 x 4, 4 x 2) all kept both CPUs
saturated at 55-110 requests/s, and gthread's step p95 was never lower than sync's. Three sync
workers keep both cores busy while one waits on PostgreSQL; the other reviewers' requests wait
in the listen queue, which is most of the latency the figures show. `--threads T` (T > 1)
switches to gthread for comparison.

The database is the bench's own `assessor_load_bench` (a `*_bench` name, so the seeding reuses
`bench/seed_http.py`'s guarded drop-and-create), on the server of BENCH_DATABASE_URL if set,
else on the local cluster `scripts/start-postgres.sh` starts. It is dropped after the run unless
`--keep-db`. Every step is bounded: each request 15 s, the client phase LOAD_BUDGET, the whole
run under 3 minutes even when it goes wrong (see RUN_BUDGET), and gunicorn is always stopped.

Then, unless `--no-faults`, `bench/load_faults.py` runs the same load again with a worker
killed mid-save and a PostgreSQL restart, and checks that no acknowledged answer was lost.

    .venv/bin/python bench/load_reviewers.py [--reviewers 20] [--workers 3] [--threads 1]
    .venv/bin/python bench/run.py load_reviewers        # as part of `make bench`
"""

from __future__ import annotations

import argparse
import html
import io
import json
import math
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import note, report  # noqa: E402
from bench.wizard_http import (  # noqa: E402  (standard library only)
    APP,
    CSRF_INPUT,
    HOST,
    TIMEOUT,
    VERSION_INPUT,
    BenchError,
    Client,
    cpu_seconds,
    free_port,
    redacted,
    server_env,
    stop,
    wait_until_serving,
    worker_pids,
)

DATABASE = "assessor_load_bench"
TEAM = "Load"
REVIEWERS = 20
WORKERS = 3  # gunicorn sync workers: 2 cores, plus one to cover a worker's database waits
THREADS = 1  # per worker; more than 1 means the gthread worker class
STEPS = 9  # the shipped questionnaire's sections, one wizard step each
# Seconds. Every step up to the check ends within RUN_BUDGET: the clients stop sending at
# their deadline (at most LOAD_BUDGET, and AFTER_LOAD before the end, which covers their last
# request, stopping gunicorn and the check); dropping the database then takes at most 20 s.
# So even a run that goes wrong ends within 170 s; a normal run takes about 20 s.
RUN_BUDGET = 150.0  # the whole run: database, seeding, gunicorn, load, check
LOAD_BUDGET = 75.0  # the clients: sign-in, then every reviewer's whole assessment
AFTER_LOAD = 60.0
SIGN_IN_BUDGET = 45.0  # seconds for every reviewer to be signed in (then they start together)

STEP_PATH = re.compile(r"^/assessments/(\d+)/step/1/$")
QUESTION_BLOCK = re.compile(
    r'<div id="q-([\w-]+)" class="question[^"]*"(?: data-show-if="([^"]*)")?'
)
RADIO = re.compile(r"<input\b[^>]*\btype=\"radio\"[^>]*>")
NAME_ATTR = re.compile(r'\bname="([^"]*)"')
VALUE_ATTR = re.compile(r'\bvalue="([^"]*)"')
STEP_TITLE = re.compile(r"Step (\d+) of (\d+):")


# --- the clients ---------------------------------------------------------------------------


@dataclass
class Reviewer:
    """One reviewer's browser, what it sent, and what went wrong."""

    number: int
    username: str
    run_id: str
    client: Client | None = None
    assessment: int = 0
    first_version: int = 0
    version: int = 0  # the assessment's version on the page this browser last opened
    saves: int = 0
    sent: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (choice, note)
    timings: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds
    error: str = ""  # the first unexpected answer (a reviewer stops at it)
    finished: bool = False

    def request(self, kind: str, method: str, path: str, form: dict | None = None):
        started = time.perf_counter()
        status, location, body = self.client.request(method, path, form)
        self.timings.setdefault(kind, []).append(time.perf_counter() - started)
        return status, location, body.decode("utf-8", "replace")

    def fail(self, text: str) -> None:
        if "HTTP 0" in text:
            text += " (no response: connection closed or timed out)"
        self.error = self.error or text


def questions_of(page: str) -> list[tuple[str, list[str], dict | None]]:
    """The step's questions in page order: (key, choice keys, show_if condition or None)."""
    blocks = list(QUESTION_BLOCK.finditer(page))
    found = []
    for index, block in enumerate(blocks):
        end = blocks[index + 1].start() if index + 1 < len(blocks) else len(page)
        key = block.group(1)
        choices = []
        for radio in RADIO.finditer(page, block.end(), end):
            name, value = NAME_ATTR.search(radio.group(0)), VALUE_ATTR.search(radio.group(0))
            if name and value and html.unescape(name.group(1)) == key:
                choices.append(html.unescape(value.group(1)))
        condition = json.loads(html.unescape(block.group(2))) if block.group(2) else None
        found.append((key, choices, condition))
    return found


def holds(condition: dict, chosen: dict[str, str], on_page: set[str]) -> bool | None:
    """`static/js/wizard.js`'s rule: None when it depends on a question not on this step."""
    if "all" in condition or "any" in condition:
        results = [holds(c, chosen, on_page) for c in condition.get("all") or condition["any"]]
        if None in results:
            return None
        return all(results) if "all" in condition else any(results)
    if condition["question"] not in on_page:
        return None
    answer = chosen.get(condition["question"])
    if answer is None:
        return False
    listed = answer in (condition.get("in") or condition.get("not_in") or [])
    return listed if "in" in condition else not listed


def answers_for(reviewer: Reviewer, step: int, page: str) -> dict[str, tuple[str, str]]:
    """What this reviewer answers on the page: every question a browser shows (follow-ups only
    when their condition holds, as wizard.js hides them otherwise), each with a note. The
    choice rotates with the reviewer and the question, so different follow-ups appear."""
    questions = questions_of(page)
    on_page = {key for key, _, _ in questions}
    wanted = {
        key: choices[(reviewer.number + step + index) % len(choices)]
        for index, (key, choices, _) in enumerate(questions)
        if choices
    }
    chosen = {key: wanted[key] for key, _, condition in questions if not condition}
    changed = True
    while changed:  # follow-ups of follow-ups: until nothing more becomes visible
        changed = False
        for key, _, condition in questions:
            if condition and key not in chosen and holds(condition, chosen, on_page) is not False:
                chosen[key] = wanted[key]
                changed = True
    return {
        key: (
            choice,
            f"Reviewer {reviewer.number}, step {step}: “{choice}” — run {reviewer.run_id}.",
        )
        for key, choice in chosen.items()
    }


def step_form(token: str, version: int, answers: dict, last: bool) -> dict:
    form = {"csrfmiddlewaretoken": token, "version": version, ("finish" if last else "next"): "1"}
    for key, (choice, text) in answers.items():
        form.update({key: choice, f"{key}-note": text})
    return form


def open_step(reviewer: Reviewer, path: str, step: int) -> tuple[str, int, str] | None:
    """GET a step as a browser would: (CSRF token, version, page), or None on an error."""
    status, _, page = reviewer.request("step GET", "GET", path)
    raw = page.encode()
    token, version, title = (
        CSRF_INPUT.search(raw),
        VERSION_INPUT.search(raw),
        STEP_TITLE.search(page),
    )
    if status != 200 or token is None or version is None or title is None:
        reviewer.fail(f"GET {path}: HTTP {status}, not a wizard step page")
        return None
    if (int(title.group(1)), int(title.group(2))) != (step, STEPS):
        reviewer.fail(f"GET {path}: shows step {title.group(1)} of {title.group(2)}")
        return None
    return token.group(1).decode(), int(version.group(1)), page


def complete_assessment(reviewer: Reviewer, deadline: float) -> None:
    """Create an assessment, answer all steps with version tracking, finish, open the report."""
    status, _, page = reviewer.request("new GET", "GET", "/assessments/new/")
    token = CSRF_INPUT.search(page.encode())
    if status != 200 or token is None:
        return reviewer.fail(f"GET /assessments/new/: HTTP {status}")
    form = {
        "csrfmiddlewaretoken": token.group(1).decode(),
        "name": f"Leaver deprovisioning {reviewer.number} ({reviewer.run_id})",
        "description": "Disable the accounts of leavers in the IdP and close their tickets.",
        "system": "Okta",
        "business_owner": "IAM operations",
    }
    status, location, _ = reviewer.request("create POST", "POST", "/assessments/new/", form)
    created = STEP_PATH.match(location) if status == 302 else None
    if created is None:
        return reviewer.fail(f"POST /assessments/new/: HTTP {status} to {location!r}")
    reviewer.assessment = int(created.group(1))
    path = location
    for step in range(1, STEPS + 1):
        if time.monotonic() > deadline:
            return reviewer.fail(f"out of time before step {step}")
        opened = open_step(reviewer, path, step)
        if opened is None:
            return None
        token, version, page = opened
        if step == 1:
            reviewer.first_version = version
        elif version != reviewer.version + 1:  # only this reviewer writes to it
            return reviewer.fail(
                f"step {step} opened at version {version}, not {reviewer.version + 1}"
            )
        reviewer.version = version
        answers = answers_for(reviewer, step, page)
        if not answers:
            return reviewer.fail(f"step {step}: no questions found on the page")
        if time.monotonic() > deadline:
            return reviewer.fail(f"out of time before saving step {step}")
        last = step == STEPS
        form = step_form(token, version, answers, last)
        reviewer.sent.update(answers)  # posted, whatever comes back: saved must match it
        status, location, page = reviewer.request("step POST", "POST", path, form)
        pk = reviewer.assessment
        expected = f"/assessments/{pk}/report/" if last else f"/assessments/{pk}/step/{step + 1}/"
        if status != 302 or location != expected:
            stale = ' id="stale-warning"' in page
            return reviewer.fail(
                f"POST step {step} at version {version}: HTTP {status} to {location!r}"
                + (" (refused as stale)" if stale else "")
            )
        reviewer.saves += 1
        path = location
    if time.monotonic() > deadline:
        return reviewer.fail("out of time before opening the report")
    status, _, page = reviewer.request("report GET", "GET", path)
    if status != 200:
        return reviewer.fail(f"GET {path}: HTTP {status}")
    reviewer.finished = True
    return None


def run_clients(reviewers: list[Reviewer], port: int, password: str, deadline: float) -> float:
    """Every reviewer in its own thread: sign in, wait for all, then complete an assessment.
    Returns the seconds from the common start until the last reviewer finished."""
    ready = threading.Barrier(len(reviewers) + 1)
    finished_at: list[float] = []

    def work(reviewer: Reviewer) -> None:
        reviewer.client = Client(port)
        try:
            started = time.perf_counter()
            reviewer.client.sign_in(reviewer.username, password)
            reviewer.timings["sign-in"] = [time.perf_counter() - started]
        except BenchError as problem:
            reviewer.fail(str(problem))
        try:
            ready.wait(timeout=SIGN_IN_BUDGET)
        except threading.BrokenBarrierError:
            reviewer.fail(reviewer.error or "the others did not sign in in time")
            return
        # A fresh connection for the run: under gthread an idle keep-alive connection is closed
        # by the server after 2 s, and http.client would fail on it (a browser would retry).
        reviewer.client.conn.close()
        if not reviewer.error:
            complete_assessment(reviewer, deadline)
        finished_at.append(time.perf_counter())

    threads = [threading.Thread(target=work, args=(r,), daemon=True) for r in reviewers]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=SIGN_IN_BUDGET)
    except threading.BrokenBarrierError as broken:
        raise BenchError(
            f"the reviewers were not all signed in within {SIGN_IN_BUDGET:g} s"
        ) from broken
    start = time.perf_counter()
    # A reviewer checks the deadline before each request it sends and each request is bounded
    # (TIMEOUT), so every thread ends within one request of the deadline.
    grace = deadline + TIMEOUT + 1
    for thread in threads:
        thread.join(max(0.1, grace - time.monotonic()))
    for reviewer, thread in zip(reviewers, threads, strict=True):
        if thread.is_alive():
            reviewer.fail("still running after the deadline")
        if reviewer.client is not None:
            reviewer.client.close()
    return (max(finished_at) if finished_at else time.perf_counter()) - start


# --- the server and the database (each database step in a subprocess) ----------------------


def remaining(deadline: float, cap: float) -> float:
    left = min(cap, deadline - time.monotonic())
    if left <= 1:
        raise BenchError("out of time (the whole run is bounded)")
    return left


def database_url(deadline: float) -> str:
    """postgres://.../assessor_load_bench: BENCH_DATABASE_URL's server, or the local cluster."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        try:
            started = subprocess.run(
                [str(ROOT / "scripts" / "start-postgres.sh")],
                capture_output=True,
                text=True,
                timeout=remaining(deadline, 60),
                check=False,
            )
        except subprocess.TimeoutExpired as late:
            raise BenchError("scripts/start-postgres.sh did not finish in time") from late
        if started.returncode != 0:
            raise BenchError(f"scripts/start-postgres.sh failed: {started.stderr.strip()}")
        url = started.stdout.strip().splitlines()[-1]
    return urlunsplit(urlsplit(url)._replace(path=f"/{DATABASE}"))


def phase(
    env: dict, name: str, deadline: float, cap: float, stdin: str = "", *args, script=None
) -> dict:
    """Run this file (or `script`) as `--phase NAME` against the load database; its last line
    is JSON."""
    try:
        done = subprocess.run(
            [sys.executable, str(script or Path(__file__).resolve()), "--phase", name, *args],
            env=env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=remaining(deadline, cap),
            check=False,
        )
    except subprocess.TimeoutExpired as late:
        raise BenchError(f"the {name} step did not finish in time") from late
    if done.returncode != 0:
        print((done.stdout + done.stderr)[-3000:])
        raise BenchError(f"the {name} step failed (output above)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def drop_bench_database(url: str) -> None:
    from bench.seed_http import admin_connection, drop_database

    name = unquote(urlsplit(url).path.lstrip("/"))
    if name != DATABASE:
        raise BenchError(f"refusing to drop {name!r}: this script owns only {DATABASE!r}")
    with admin_connection(url) as conn:
        conn.execute("SET statement_timeout = '15s'")
        drop_database(conn, name)


def start_server(env: dict, port: int, workers: int, threads: int, log) -> subprocess.Popen:
    worker_class = ["--worker-class=gthread", f"--threads={threads}"] if threads > 1 else []
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            APP,
            f"--workers={workers}",
            *worker_class,
            f"--bind={HOST}:{port}",
            f"--chdir={ROOT}",
            "--log-level=warning",
            "--timeout=60",
            "--graceful-timeout=10",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


# --- the subprocess phases ------------------------------------------------------------------


def seed_phase(reviewers: int) -> dict:
    """Recreate, migrate and fill the load database: the questionnaire and the reviewers."""
    from bench.seed_http import recreate_database

    recreate_database(os.environ["DATABASE_URL"])  # refuses any name but *_bench
    import django

    django.setup()
    from django.core.management import call_command

    from assessor import membership
    from assessor.models import Questionnaire

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_questionnaire", stdout=io.StringIO())
    questionnaire = Questionnaire.current()
    sections = len(questionnaire.document["sections"])
    if sections != STEPS:
        raise SystemExit(f"the questionnaire has {sections} sections, the load expects {STEPS}")
    password = os.environ["BENCH_USER_PASSWORD"]
    users = []
    for number in range(1, reviewers + 1):
        member = membership.member_add(team_name=TEAM, username=f"load{number}", role="reviewer")
        member.user.set_password(password)
        member.user.save(update_fields=["password"])
        users.append(member.user.username)
    return {"questionnaire": questionnaire.version, "users": users}


def stored_answers() -> dict[tuple[str, str], list[str]]:
    """Every Answer row in the database: (assessment id, question) -> [choice, note]."""
    import django

    django.setup()
    from assessor.models import Answer

    return {
        (str(pk), key): [choice, text]
        for pk, key, choice, text in Answer.objects.values_list(
            "assessment_id", "question_key", "choice_key", "note"
        )
    }


def verify_phase(expected: dict) -> dict:
    """Compare every Answer row in the database with what the clients posted."""
    rows = stored_answers()
    from assessor.models import Answer, Assessment

    posted = {(pk, key): value for pk, sent in expected.items() for key, value in sent.items()}
    matching = sum(1 for k, v in posted.items() if rows.get(k) == v)
    notes = sum(1 for k, v in posted.items() if k in rows and rows[k][1] == v[1])
    wrong = [f"{pk}/{key}" for (pk, key), v in posted.items() if rows.get((pk, key)) != v]
    extra = [f"{pk}/{key}" for (pk, key) in rows if (pk, key) not in posted]
    assessments = Assessment.objects.filter(pk__in=[int(pk) for pk in expected])
    owners = {a.pk: a.owner_id for a in assessments}
    # The audit trail: each answer's creation recorded, by the reviewer who posted it.
    created = Answer.history.model.objects.filter(history_type="+").values_list(
        "assessment_id", "question_key", "history_user_id"
    )
    audited = {(str(pk), key) for pk, key, user in created if user and user == owners.get(pk)}
    return {
        "audited": sum(1 for k in posted if k in audited),
        "saved": len(rows),
        "matching": matching,
        "notes": notes,
        "wrong": sorted(wrong)[:10],
        "extra": sorted(extra)[:10],
        "versions": {str(a.pk): a.version for a in assessments},
        "owners": len({a.owner_id for a in assessments}),
    }


# --- the run --------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0


def figure(name: str, value: float, unit: str) -> None:
    """A figure without a target, in the same columns as `bench.common.report`."""
    print(f"{name:<72} {value:>9.3f} {unit:<5} (reported, no target)")


def busy_idle() -> tuple[int, int]:
    """Clock ticks all CPUs spent busy and idle since boot (Linux /proc/stat)."""
    try:
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return sum(ticks[:8]) - idle, idle


def load(env, users, password, workers, threads, log, deadline) -> tuple[list, float, dict]:
    """Start gunicorn, run every reviewer, always stop gunicorn."""
    port = free_port()
    server = start_server(env, port, workers, threads, log)
    try:
        wait_until_serving(server, port, time.monotonic() + remaining(deadline, 30))
        found = len(worker_pids(server.pid))
        if found != workers:
            raise BenchError(f"expected {workers} gunicorn workers, found {found}")
        run_id = secrets.token_hex(3)
        reviewers = [Reviewer(n, name, run_id) for n, name in enumerate(users, start=1)]
        load_deadline = time.monotonic() + remaining(deadline - AFTER_LOAD, LOAD_BUDGET)
        pids = worker_pids(server.pid)
        server_cpu, client_cpu, machine = cpu_seconds(pids), time.process_time(), busy_idle()
        duration = run_clients(reviewers, port, password, load_deadline)
        busy, idle = (after - before for after, before in zip(busy_idle(), machine, strict=True))
        cpu = {
            "server": cpu_seconds(pids) - server_cpu,
            "client": time.process_time() - client_cpu,
            "machine": busy / max(busy + idle, 1),
        }
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited during the run with status {server.returncode}")
        return reviewers, duration, cpu
    finally:
        stop(server)


def run(
    reviewers: int = REVIEWERS,
    workers: int = WORKERS,
    threads: int = THREADS,
    keep_db: bool = False,
    faults: bool = True,
) -> bool:
    began = time.monotonic()
    deadline = began + RUN_BUDGET
    password = secrets.token_urlsafe(16)
    url = ""
    with tempfile.TemporaryFile(mode="w+") as log:
        try:
            url = database_url(deadline)
            env = server_env(url)
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
            clients, duration, cpu = load(
                env, seeded["users"], password, workers, threads, log, deadline
            )
            loaded_at = time.monotonic()
            expected = {str(r.assessment): r.sent for r in clients if r.assessment}
            checked = phase(env, "verify", deadline, 20, json.dumps(expected))
        except BenchError as problem:
            log.seek(0)
            print(log.read()[-3000:])
            return report(f"reviewers under load: {problem}", 0, "", "runs", False)
        finally:
            if url and not keep_db:
                try:
                    drop_bench_database(url)
                except Exception as problem:  # report it, keep the verdict
                    note(f"could not drop {DATABASE}: {problem}")
        log.seek(0)
        server_log = log.read().strip()

    kind = f"gthread ({threads} threads each)" if threads > 1 else "sync"
    note(
        f"gunicorn {workers} {kind} workers on {HOST}; {reviewers} reviewers, one thread, user "
        f"and session each (real login form), {STEPS} steps each; PostgreSQL {redacted(url)}"
    )
    errors = [f"{r.username}: {r.error}" for r in clients if r.error]
    sent = sum(len(r.sent) for r in clients)
    saved_ok = checked["saved"] == sent == checked["matching"]
    ok = report(
        "errors: any save not a 302 onwards (stale refusals too), page not 200",
        len(errors),
        "",
        "0",
        not errors,
    )
    for line in errors[:10]:
        note(line)
    ok &= report(
        f"answers saved (Answer rows after the run) vs sent ({sent})",
        checked["saved"],
        "rows",
        f"= {sent}",
        saved_ok,
    )
    ok &= report(
        "rows identical to what was posted (assessment, question, choice, note)",
        checked["matching"],
        "rows",
        f"= {sent}",
        checked["matching"] == sent,
    )
    note(f"notes identical: {checked['notes']} of {sent}")
    ok &= report(
        "answers whose creation the audit trail credits to their reviewer",
        checked["audited"],
        "rows",
        f"= {sent}",
        checked["audited"] == sent,
    )
    if checked["wrong"] or checked["extra"]:
        note(f"differing rows: {checked['wrong']}; rows nobody posted: {checked['extra']}")
    # Each save bumps the version once; only reviewers who opened step 1 know where it began.
    saves = {str(r.assessment): r.first_version + r.saves for r in clients if r.first_version}
    versions = {pk: v for pk, v in checked["versions"].items() if pk in saves}
    if versions != saves or checked["owners"] != len(checked["versions"]):
        ok = False
        note(f"versions in the database {versions} != first + saves {saves}")
    timings: dict[str, list[float]] = {}
    for reviewer in clients:
        for name, values in reviewer.timings.items():
            timings.setdefault(name, []).extend(values)
    posts, gets = timings.get("step POST", []), timings.get("step GET", [])
    figure(f"p95 latency, wizard step POST (save + 302), n={len(posts)}", p95(posts) * 1000, "ms")
    figure(f"p95 latency, wizard step GET, n={len(gets)}", p95(gets) * 1000, "ms")
    figure("total duration, all reviewers, from the common start", duration, "s")
    note(
        "median / max, ms: "
        + ", ".join(
            f"{name} {statistics.median(v) * 1000:.0f} / {max(v) * 1000:.0f}"
            for name, v in timings.items()
            if v
        )
    )
    requests = sum(len(v) for name, v in timings.items() if name != "sign-in")
    note(
        f"{requests} requests after sign-in, {requests / max(duration, 1e-9):.1f} req/s; "
        f"completed {sum(r.finished for r in clients)} of {len(clients)} assessments; "
        f"seeding {seeded_at - began:.0f} s, load {loaded_at - seeded_at:.0f} s, "
        f"wall time {time.monotonic() - began:.0f} s"
    )
    note(
        f"CPU during the load (sign-in included): gunicorn workers {cpu['server']:.1f} s "
        f"({cpu['server'] / max(requests, 1) * 1000:.0f} ms a request), this client "
        f"{cpu['client']:.1f} s; the machine's CPUs {cpu['machine']:.0%} busy (all processes)"
    )
    if server_log:
        note("gunicorn log (tail):\n" + server_log[-2000:])
    ok = ok and not errors and saved_ok
    if faults:
        from bench import load_faults  # it imports this module's helpers

        ok = load_faults.run(reviewers, workers) and ok
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=REVIEWERS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, default=THREADS, help="> 1: gthread workers")
    parser.add_argument("--keep-db", action="store_true", help=f"keep {DATABASE} afterwards")
    parser.add_argument(
        "--no-faults", action="store_true", help="skip the run with faults (bench/load_faults.py)"
    )
    parser.add_argument("--phase", choices=["seed", "verify"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.reviewers <= 100 or not 1 <= args.workers <= 16 or args.threads < 1:
        parser.error("--reviewers 1..100, --workers 1..16, --threads >= 1")
    if args.phase == "seed":
        print(json.dumps(seed_phase(args.reviewers)))
        return 0
    if args.phase == "verify":
        print(json.dumps(verify_phase(json.load(sys.stdin))))
        return 0
    # SIGTERM (e.g. a CI timeout) unwinds through the finally blocks: gunicorn is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    faults = not args.no_faults
    return 0 if run(args.reviewers, args.workers, args.threads, args.keep_db, faults) else 1


if __name__ == "__main__":
    sys.exit(main())
