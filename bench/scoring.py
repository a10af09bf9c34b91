"""Scoring one assessment in-process, path to the next level included: at most 1 ms median."""

import statistics
import time

from bench.common import report


def run() -> bool:
    from assessor import bank, scoring

    model = bank.build_model(bank.load_bank_file())
    profiles = {
        "safest answers (owner)": {q.key: q.choices[0].key for q in model.questions if q.core},
        "riskiest answers (copilot, longest path)": {
            q.key: q.choices[-1].key for q in model.questions if q.core
        },
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
    return ok
