"""PDF rendering: median of 10 renders of a fully answered assessment (a note on every
question) at most 0.8 s and at most 2x a plain WeasyPrint document of the same page count,
measured in the same run; peak memory of the rendering process at most 250 MB; an approved
PDF served from storage at least 20x faster than a fresh render."""

import json
import subprocess
import sys
from pathlib import Path

from bench.common import note, report

WORKER = Path(__file__).resolve().parent / "pdf_worker.py"


def run() -> bool:
    completed = subprocess.run(
        [sys.executable, str(WORKER)], capture_output=True, text=True, timeout=600, check=False
    )
    if completed.returncode != 0:
        print(completed.stderr[-3000:])
        return report("PDF benchmark worker", completed.returncode, "exit", "0", False)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    ratio = figures["median_s"] / figures["plain_median_s"]
    note(f"report: {figures['pages']} pages; plain baseline: {figures['plain_pages']} pages")
    ok = report(
        "PDF of a fully answered assessment, median of 10 renders",
        figures["median_s"],
        "s",
        "<= 0.8 s",
        figures["median_s"] <= 0.8,
    )
    report(
        "plain WeasyPrint document of the same page count, median of 10",
        figures["plain_median_s"],
        "s",
        "(baseline)",
        True,
    )
    ok &= report("report PDF time / plain document time", ratio, "x", "<= 2x", ratio <= 2.0)
    speedup = figures["approved_fresh_s"] / figures["stored_download_s"]
    report(
        "approved PDF download, served from storage, median of 10",
        figures["stored_download_s"] * 1000,
        "ms",
        "(measured)",
        True,
    )
    report(
        "fresh render of the same approved record, median of 10",
        figures["approved_fresh_s"] * 1000,
        "ms",
        "(measured)",
        True,
    )
    ok &= report(
        "stored download speed-up over a fresh render", speedup, "x", ">= 20x", speedup >= 20
    )
    ok &= report(
        "peak memory of the rendering process",
        figures["peak_rss_mb"],
        "MB",
        "<= 250 MB",
        figures["peak_rss_mb"] <= 250,
    )
    return ok
