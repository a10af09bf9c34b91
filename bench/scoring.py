"""Scoring one assessment in-process, path to the next level included: at most 1 ms median."""

import random
import statistics
import time

from bench.common import report


def _near_good(model, rng: random.Random) -> dict[str, str]:
    """A seeded answer set: most answers safest, some anywhere, follow-ups sometimes skipped."""
    answers = {}
    for question in model.questions:
        if not question.core and rng.random() < 0.2:
            continue
        safest = rng.random() < rng.choice((0.6, 0.8, 0.9))
        answers[question.key] = (
            question.choices[0] if safest else rng.choice(question.choices)
        ).key
    return answers


def run() -> bool:
    from assessor import bank, examples, scoring

    model = bank.build_model(bank.load_bank_file())
    leaver = next(e for e in examples.EXAMPLES if e["name"] == "Leaver deprovisioning")
    leaver_answers = {**examples.SAFEST, **leaver["answers"]}
    leaver_plan = len(scoring.evaluate(model, leaver_answers).next_level)
    profiles = {
        "safest answers (owner)": {q.key: q.choices[0].key for q in model.questions if q.core},
        "riskiest answers (copilot, blocked by scope)": {
            q.key: q.choices[-1].key for q in model.questions if q.core
        },
        f"leaver example (copilot, a {leaver_plan}-change plan)": leaver_answers,
    }
    ok = True
    for label, answers in profiles.items():
        timings = []
        for _ in range(1000):
            start = time.perf_counter()
            scoring.evaluate(model, answers)
            timings.append(time.perf_counter() - start)
        median_ms = statistics.median(timings) * 1000
        ok &= report(
            f"score one assessment, median of 1,000 runs: {label}",
            median_ms,
            "ms",
            "<= 1 ms",
            median_ms <= 1.0,
        )

    rng = random.Random(2026)
    sets = [_near_good(model, rng) for _ in range(1000)]
    timings = []
    for answers in sets:
        start = time.perf_counter()
        scoring.evaluate(model, answers)
        timings.append(time.perf_counter() - start)
    timings.sort()
    median_ms = statistics.median(timings) * 1000
    p95_ms = timings[int(len(timings) * 0.95)] * 1000
    ok &= report(
        "score one assessment: 1,000 seeded near-good answer sets, median "
        f"(95th percentile {p95_ms:.2f} ms)",
        median_ms,
        "ms",
        "<= 1 ms",
        median_ms <= 1.0,
    )
    return ok
