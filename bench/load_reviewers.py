"""Twenty reviewers at once, each completing an assessment through the real pages over HTTP.

gunicorn (3 sync workers: a wizard request is mostly CPU, threads would only share a GIL) on
PostgreSQL, locust mode `reviewers`; then the ORM compares every Answer row, its audit author
and each version with what was posted. `run(threads=T)` switches to gthread for comparison.
"""

import secrets
import statistics
import time

import psutil

from assessor.models import Answer, Assessment
from bench.common import STEPS, cpu_seconds, figure, note, p95, report
from bench.server import (
    BenchError,
    database_url,
    loadgen,
    orm,
    recreate_database,
    redacted,
    seed,
    server_env,
    serving,
)

DATABASE = "assessor_load_bench"
REVIEWERS, WORKERS, THREADS = 20, 3, 1
LOAD_BUDGET = 75.0  # seconds for every reviewer's whole assessment
ERRORS = "errors: any save not a 302 onwards (stale refusals too), page not 200"
SAVED = "answers saved (Answer rows after the run) vs sent"
MATCHING = "rows identical to what was posted (assessment, question, choice, note)"
AUDITED = "answers whose creation the audit trail credits to their reviewer"


def reviewer_spec(server, users: list[str], password: str, retry: bool, budget: float) -> dict:
    return {
        "mode": "reviewers",
        "host": server.url,
        "password": password,
        "retry": retry,
        "accounts": [{"username": user} for user in users],
        "retry_pause": 0.25,
        "run_id": secrets.token_hex(3),
        "deadline": time.time() + budget,
    }


def stored_answers(alias: str) -> dict[tuple[str, str], list[str]]:
    """Every Answer row in the database: (assessment id, question) -> [choice, note]."""
    rows = Answer.objects.using(alias).values_list(
        "assessment_id", "question_key", "choice_key", "note"
    )
    return {(str(pk), key): [choice, text] for pk, key, choice, text in rows}


def verify(alias: str, expected: dict) -> dict:
    """Compare every Answer row with what the clients posted; the audit trail; the versions."""
    rows = stored_answers(alias)
    posted = {(pk, key): value for pk, sent in expected.items() for key, value in sent.items()}
    assessments = Assessment.objects.using(alias).filter(pk__in=[int(pk) for pk in expected])
    owners = {a.pk: a.owner_id for a in assessments}
    # The audit trail: each answer's creation recorded, by the reviewer who posted it.
    created = (
        Answer.history.model.objects.using(alias)
        .filter(history_type="+")
        .values_list("assessment_id", "question_key", "history_user_id")
    )
    audited = {(str(pk), key) for pk, key, user in created if user and user == owners.get(pk)}
    return {
        "audited": sum(1 for k in posted if k in audited),
        "saved": len(rows),
        "matching": sum(1 for k, v in posted.items() if rows.get(k) == v),
        "notes": sum(1 for k, v in posted.items() if k in rows and rows[k][1] == v[1]),
        "wrong": sorted(
            f"{pk}/{key}" for (pk, key), v in posted.items() if rows.get((pk, key)) != v
        )[:10],
        "extra": sorted(f"{pk}/{key}" for (pk, key) in rows if (pk, key) not in posted)[:10],
        "versions": {str(a.pk): a.version for a in assessments},
        "owners": len(set(owners.values())),
    }


def load(reviewers: int, workers: int, threads: int, keep_db: bool):
    url = database_url(DATABASE)
    recreate_database(url)
    password = secrets.token_urlsafe(16)
    env = server_env(url, BENCH_USER_PASSWORD=password)
    try:
        users = seed(env, "load", "--users", str(reviewers))["users"]
        with serving(env, workers, threads) as server:
            pids, spent = server.workers(), cpu_seconds(server.workers())
            psutil.cpu_percent(None)  # from here: the next call's share of busy CPU
            result = loadgen(reviewer_spec(server, users, password, False, LOAD_BUDGET), 180)
            cpu = (cpu_seconds(pids) - spent, psutil.cpu_percent(None))
            if server.process.poll() is not None:
                raise BenchError(f"gunicorn exited during the run ({server.process.returncode})")
        records = result["results"]
        with orm(url) as alias:
            checked = verify(
                alias, {str(r["assessment"]): r["sent"] for r in records if r["assessment"]}
            )
    finally:
        if not keep_db:
            recreate_database(url, create=False)
    return url, result, checked, cpu


def report_checks(records: list[dict], checked: dict) -> bool:
    """The errors, and every posted answer stored as posted, by its reviewer, version by version."""
    errors = [f"{r['username']}: {r['error']}" for r in records if r["error"]]
    sent = sum(len(r["sent"]) for r in records)
    saved, matching, audited = checked["saved"], checked["matching"], checked["audited"]
    ok = report(ERRORS, len(errors), "", "0", not errors)
    for line in errors[:10]:
        note(line)
    saved_ok = saved == sent == matching
    ok &= report(f"{SAVED} ({sent})", saved, "rows", f"= {sent}", saved_ok)
    ok &= report(MATCHING, matching, "rows", f"= {sent}", matching == sent)
    note(f"notes identical: {checked['notes']} of {sent}")
    ok &= report(AUDITED, audited, "rows", f"= {sent}", audited == sent)
    if checked["wrong"] or checked["extra"]:
        note(f"differing rows: {checked['wrong']}; rows nobody posted: {checked['extra']}")
    # Each save bumps the version once; only reviewers who opened step 1 know where it began.
    saves = {str(r["assessment"]): r["first"] + r["saves"] for r in records if r["first"]}
    versions = {pk: v for pk, v in checked["versions"].items() if pk in saves}
    if versions != saves or checked["owners"] != len(checked["versions"]):
        ok = False
        note(f"versions in the database {versions} != first + saves {saves}")
    return ok and not errors and saved_ok


def report_times(result: dict, cpu: tuple) -> None:
    times, records = result["times"], result["results"]
    posts, gets = times.get("step POST", []), times.get("step GET", [])
    figure(f"p95 latency, wizard step POST (save + 302), n={len(posts)}", p95(posts) * 1000, "ms")
    figure(f"p95 latency, wizard step GET, n={len(gets)}", p95(gets) * 1000, "ms")
    figure("total duration, all reviewers, from the common start", result["duration"], "s")
    medians = (
        f"{name} {statistics.median(v) * 1000:.0f} / {max(v) * 1000:.0f}"
        for name, v in times.items()
        if v
    )
    note("median / max, ms: " + ", ".join(medians))
    requests = sum(len(v) for name, v in times.items() if name != "sign-in")
    note(
        f"{requests} requests after sign-in, {requests / max(result['duration'], 1e-9):.1f} "
        f"req/s; completed {sum(r['finished'] for r in records)} of {len(records)} assessments; "
        f"gunicorn workers' CPU {cpu[0]:.1f} s ({cpu[0] / max(requests, 1) * 1000:.0f} ms a "
        f"request), the machine's CPUs {cpu[1]:.0f}% busy (psutil)"
    )


def run(reviewers=REVIEWERS, workers=WORKERS, threads=THREADS, keep_db=False) -> bool:
    began = time.monotonic()
    url, result, checked, cpu = load(reviewers, workers, threads, keep_db)
    kind = f"gthread ({threads} threads each)" if threads > 1 else "sync"
    note(
        f"gunicorn {workers} {kind} workers; locust, {reviewers} users, one account and session "
        f"each (real login form), {STEPS} steps each; PostgreSQL {redacted(url)}"
    )
    ok = report_checks(result["results"], checked)
    report_times(result, cpu)
    note(f"wall time {time.monotonic() - began:.0f} s")
    return ok
