"""Scoring one assessment in-process, path to the next level included: at most 1 ms median.

Each figure is the median of 1,000 single runs timed by `timeit`, on the engine alone.
"""

import random
import statistics
import timeit

from assessor import bank, engine
from assessor.dashboard import examples
from bench.common import report

RUNS = 1000


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


def median_ms(model, answers: dict) -> float:
    runs = timeit.repeat(lambda: engine.evaluate(model, answers), number=1, repeat=RUNS)
    return statistics.median(runs) * 1000


def run() -> bool:
    model = bank.build_model(bank.load_bank_file())
    leaver = next(e for e in examples.EXAMPLES if e["name"] == "Leaver deprovisioning")
    leaver_answers = {**examples.SAFEST, **leaver["answers"]}
    plan = len(engine.evaluate(model, leaver_answers).next_level)
    profiles = {
        "safest answers (owner)": {q.key: q.choices[0].key for q in model.questions if q.core},
        "riskiest answers (copilot, blocked by scope)": {
            q.key: q.choices[-1].key for q in model.questions if q.core
        },
        f"leaver example (copilot, a {plan}-change plan)": leaver_answers,
    }
    ok = True
    for label, answers in profiles.items():
        took = median_ms(model, answers)
        name = f"score one assessment, median of 1,000 runs: {label}"
        ok &= report(name, took, "ms", "<= 1 ms", took <= 1.0)
    rng = random.Random(2026)
    sets = [_near_good(model, rng) for _ in range(RUNS)]
    timings = sorted(timeit.timeit(lambda a=a: engine.evaluate(model, a), number=1) for a in sets)
    took, p95 = statistics.median(timings) * 1000, timings[int(len(timings) * 0.95)] * 1000
    name = "score one assessment: 1,000 seeded near-good answer sets, median "
    name += f"(95th percentile {p95:.2f} ms)"
    ok &= report(name, took, "ms", "<= 1 ms", took <= 1.0)
    return ok
