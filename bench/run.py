"""`make bench`: every figure with its target and PASS or FAIL (docs/operator-guide.md,
"Performance").

`.venv/bin/python bench/run.py NAME` runs one module; each has a `run() -> bool`.
"""

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

from bench.common import RATIOS, report  # noqa: E402
from bench.server import BenchError  # noqa: E402

MODULES = [
    "scoring",  # core engine, in-process
    "wizard_http",  # reviewer experience (gunicorn + PostgreSQL)
    "api_http",  # issue 15: the API's result vs a minimal token endpoint (gunicorn + PostgreSQL)
    "wizard_profile",  # where a wizard GET's time goes, in-process (explains wizard_http)
    "pdf_render",  # board-ready PDF (gunicorn + SQLite)
    "impact_preview",  # admin tuning, in-process
    "review_sweep",  # issue 24: the daily review sweep over 30,000 approvals, in-process
    "register_list",  # issue 24: the agent register's list, 10,000 agents, in-process
    "portfolio_page",  # issue 26: the portfolio page over 30,000 assessments, in-process
    "boardpack_render",  # issue 26: a board pack of 100 workflows, in a worker process
    "load_reviewers",  # 20 concurrent reviewers, each completing an assessment
    "load_faults",  # the same with a worker killed mid-save and a PostgreSQL restart
]


def main(selected: list[str]) -> int:
    django.setup()
    print(f"Benchmarks on {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
    results = []
    for name in selected or MODULES:
        print(f"\n[{name}]", flush=True)
        try:
            results.append(importlib.import_module(f"bench.{name}").run())
        except BenchError as problem:  # the bench could not set itself up
            results.append(report(f"{name}: {problem}", 0, "", "runs", False))
        sys.stdout.flush()
    if RATIOS:
        # Issue 22: each page where users wait against the cheapest page of its kind.
        print("\n[ratios where users wait: at least 0.5 each]")
        for name, (value, least) in RATIOS.items():
            report(name, value, "x", f">= {least:.2f}", value >= least)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
