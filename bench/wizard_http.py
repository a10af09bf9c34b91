"""The wizard over HTTP against signed-in baselines (`bench/urls.py`), gunicorn + PostgreSQL.

Four scenarios in interleaved slices; then the ORM checks each session's last save was stored.
"""

import statistics

from assessor.models import Answer
from bench.common import ANSWER_SETS, STEP, note, ratio, report
from bench.server import RATIO_SLICES, measure_ratios, orm, paired_ratio, redacted

USERS = 4
TARGET_RATIO = 0.5
# Roles per team must not make the wizard slower than it was before them (2026-11-29, issue 12).
FLOOR_GET, FLOOR_POST = 0.27, 0.35
LABELS = {
    "a": f"wizard step GET (step {STEP}), signed in",
    "b": "baseline: tiny signed-in template page GET",
    "c": f"wizard step POST saving step {STEP} (7 answers + notes + links)",
    "d": "baseline: signed-in POST saving one row",
}


def last_saves_missing(url: str, posts: dict) -> int:
    """Sessions whose step 5 in the database is not the answer set they posted last."""
    missing = USERS - len(posts)  # a session that never got to post counts too
    with orm(url) as alias:
        for wizard, count in posts.items():
            stored = dict(
                Answer.objects.using(alias)
                .filter(assessment_id=wizard, question_key__in=ANSWER_SETS[0])
                .values_list("question_key", "note")
            )
            last = ANSWER_SETS[(count - 1) % len(ANSWER_SETS)]
            missing += bool(count) and stored != {k: text for k, (_, text, _) in last.items()}
    return missing


def run() -> bool:
    _, result, url = measure_ratios("assessor_bench", "wizard", {"scenarios": list(LABELS)}, USERS)
    errors = result["errors"]
    errors["c"] += last_saves_missing(url, result["posts"])
    note(
        f"gunicorn 2 sync workers; locust, {USERS} users, each its own session; "
        f"{RATIO_SLICES['cycles']} interleaved cycles of {RATIO_SLICES['slice']:g} s per "
        f"scenario; PostgreSQL {redacted(url)}"
    )
    rates = result["rates"]
    median = {key: statistics.median(values) for key, values in rates.items()}
    get, post = paired_ratio(rates["a"], rates["b"]), paired_ratio(rates["c"], rates["d"])
    label = {key: f"({key}) {text}, median" for key, text in LABELS.items()}
    report(label["a"], median["a"], "req/s", ">= 0.5 x (b)", get >= TARGET_RATIO)
    report(label["b"], median["b"], "req/s", "baseline", errors["b"] == 0)
    report(label["c"], median["c"], "req/s", ">= 0.5 x (d)", post >= TARGET_RATIO)
    report(label["d"], median["d"], "req/s", "baseline", errors["d"] == 0)
    ok = ratio("wizard GET / baseline GET, (a) / (b), median of cycles", get, TARGET_RATIO)
    ok &= ratio("wizard POST / baseline POST, (c) / (d), median of cycles", post, TARGET_RATIO)
    for name, value, least in (
        ("wizard GET ratio, kept at or above its level before roles per team", get, FLOOR_GET),
        ("wizard POST ratio, kept at or above its level before roles per team", post, FLOOR_POST),
    ):
        ok &= report(name, value, "x", f">= {least:.2f}", value >= least)
    total = sum(errors.values())
    ok &= report("errors: unexpected answers, all scenarios", total, "", "0", total == 0)
    note("errors per scenario: " + ", ".join(f"({k}) {n}" for k, n in errors.items()))
    note(
        "req/s per slice, min-max: "
        + ", ".join(f"({k}) {min(v):.0f}-{max(v):.0f}" for k, v in rates.items())
    )
    cpu = result["cpu"]
    note(
        "gunicorn workers' CPU per request (psutil; steadier than req/s on a busy machine): "
        + ", ".join(f"({k}) {s * 1000:.1f} ms" for k, s in cpu.items())
    )
    return ok
