"""`make bench`: the performance figures the README quotes, measured on this machine.

Each benchmark prints its figure, its target and PASS or FAIL. Run from the project root.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")


def report(name: str, value: float, unit: str, target: str, ok: bool) -> bool:
    print(f"{name:<72} {value:>9.3f} {unit:<4} target {target:<12} {'PASS' if ok else 'FAIL'}")
    return ok


def bench_scoring() -> bool:
    """Scoring one assessment in-process, path to the next level included."""
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
            f"score one assessment, median of 1,000: {label}",
            median_ms,
            "ms",
            "<= 1 ms",
            median_ms <= 1.0,
        )
    return ok


BENCHMARKS = [bench_scoring]


def main() -> int:
    print(f"Benchmarks on {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
    results = [benchmark() for benchmark in BENCHMARKS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
