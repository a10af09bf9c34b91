"""The API over HTTP: a result GET against a minimal token endpoint, on gunicorn + PostgreSQL.

Target (a) >= 0.5 x (b), no errors; listing 10 and 100 assessments costs the same queries.
"""

import statistics

from bench.common import note, report
from bench.common import ratio as keep_ratio
from bench.server import RATIO_SLICES, measure_ratios, paired_ratio, redacted

USERS = 4
RATE = "100000/s"  # on, as in production, but never reached
TARGET_RATIO = 0.5
LABELS = {
    "result": "(a) API result GET (leaver example, with its path), median",
    "minimal": "(b) baseline: minimal token-authenticated API GET, median",
    "ratio": "API result GET / minimal API GET, (a) / (b), median of cycles",
}


def run() -> bool:
    spec = {"scenarios": ["result", "minimal"]}
    seeded, result, url = measure_ratios(
        "assessor_api_bench", "api", spec, USERS, ASSESSOR_API_RATE=RATE
    )
    note(
        f"gunicorn 2 sync workers; locust, {USERS} users, one token each; "
        f"{RATIO_SLICES['cycles']} interleaved cycles of {RATIO_SLICES['slice']:g} s; rate "
        f"limit {RATE} per token; PostgreSQL {redacted(url)}"
    )
    rates, errors = result["rates"], result["errors"]
    ratio = paired_ratio(rates["result"], rates["minimal"])
    median = {key: statistics.median(values) for key, values in rates.items()}
    report(LABELS["result"], median["result"], "req/s", ">= 0.5 x (b)", ratio >= TARGET_RATIO)
    report(LABELS["minimal"], median["minimal"], "req/s", "baseline", errors["minimal"] == 0)
    ok = keep_ratio(LABELS["ratio"], ratio, TARGET_RATIO)
    total = sum(errors.values())
    ok &= report("errors: unexpected answers, both scenarios", total, "", "0", total == 0)
    queries = {int(size): count for size, count in seeded["list_queries"].items()}
    for size, count in sorted(queries.items()):
        report(f"SQL queries to list {size} assessments through the API", count, "", "fixed", True)
    more = queries[100] - queries[10]
    ok &= report("the same for 100 as for 10 records", more, "more", "0", more == 0)
    cpu = result["cpu"]
    note(
        f"gunicorn workers' CPU per request: (a) {cpu['result'] * 1000:.1f} ms, "
        f"(b) {cpu['minimal'] * 1000:.1f} ms"
    )
    return ok
