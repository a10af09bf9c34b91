"""The impact preview for 10,000 assessments: at most 5 s, with a fixed number of queries."""

import json
import subprocess
import sys
from pathlib import Path

from bench.common import note, report

WORKER = Path(__file__).resolve().parent / "impact_worker.py"


def run() -> bool:
    completed = subprocess.run(
        [sys.executable, str(WORKER)], capture_output=True, text=True, timeout=900, check=False
    )
    if completed.returncode != 0:
        print(completed.stderr[-3000:])
        return report("impact preview worker", completed.returncode, "exit", "0", False)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    note(
        f"{figures['assessments']:,} assessments, {figures['answers']:,} answers seeded in "
        f"{figures['seed_seconds']:.1f} s; {figures['changed']:,} verdicts would change"
    )
    ok = report(
        "impact preview page for 10,000 assessments (best of 3)",
        figures["seconds"],
        "s",
        "<= 5 s",
        figures["seconds"] <= 5,
    )
    report("SQL queries for that page", figures["queries"], "", "fixed", True)
    return ok
