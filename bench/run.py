"""`make bench`: the performance figures the README quotes, measured on this machine.

Each benchmark module has a `run() -> bool` that prints its figures, each with its target and
PASS or FAIL. Run from the project root: `make bench`, or `.venv/bin/python bench/run.py NAME`
for one module.
"""

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

MODULES = [
    "scoring",  # issue: core engine
    "wizard_http",  # issue: reviewer experience (gunicorn + PostgreSQL)
    "api_http",  # issue 15: the API's result vs a minimal token endpoint (gunicorn + PostgreSQL)
    "wizard_profile",  # where a wizard GET's time goes, in-process (explains wizard_http)
    "pdf_render",  # issue: board-ready PDF
    "impact_preview",  # issue: admin tuning
    "load_reviewers",  # issue: 20 concurrent reviewers, each completing an assessment
]


def main(selected: list[str]) -> int:
    import django

    django.setup()
    print(f"Benchmarks on {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
    results = []
    for name in selected or MODULES:
        print(f"\n[{name}]")
        module = importlib.import_module(f"bench.{name}")
        results.append(module.run())
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
