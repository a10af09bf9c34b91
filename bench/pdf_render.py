"""The PDF over HTTP: a fresh report.pdf against a plain PDF of its text and the stored copy.

One gunicorn worker on SQLite, one locust user alternating RUNS downloads of each
(docs/operator-guide.md).
"""

import statistics
import tempfile
import time
from pathlib import Path

from bench.common import note, report
from bench.server import loadgen, seed, server_env, serving

RUNS = 10
MAX_SECONDS, MAX_RATIO, MIN_SPEEDUP, MAX_MB = 0.8, 2.0, 20.0, 250.0
LABELS = {
    "fresh": "(a) fresh report.pdf download, fully answered, a note on every question, median",
    "plain": "(b) plain WeasyPrint PDF of the same text, same gunicorn, median",
    "ratio": "report PDF / plain PDF, (a) / (b)",
    "stored": "approved PDF download, served from storage, median",
    "speedup": "stored download speed-up over a fresh render, (a) / stored",
    "memory": "peak memory of the gunicorn worker (VmHWM)",
}


def peak_mb(pid: int) -> float:
    """The worker's peak resident memory: psutil has no peak on Linux, /proc has VmHWM."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(workdir: Path) -> tuple[dict, float]:
    text_file = workdir / "plain.txt"
    env = server_env(
        f"sqlite:///{workdir}/bench.sqlite3",
        BENCH_USER_PASSWORD="bench-pdf-1",
        BENCH_PLAIN_TEXT=str(text_file),
    )
    records = seed(env, "pdf")
    with serving(env, 1, timeout=120) as server:
        (worker,) = server.workers()
        spec = {
            "mode": "pdf",
            "host": server.url,
            "password": "bench-pdf-1",
            "runs": RUNS,
            "accounts": [{"username": "bench"}],
            "plain_text": str(text_file),
            "workers": [worker],
            "deadline": time.time() + 300,
            **records,
        }
        result = loadgen(spec, timeout=600)
        return result, peak_mb(worker)


def run() -> bool:
    with tempfile.TemporaryDirectory(prefix="assessor-pdf-bench-") as workdir:
        result, memory = measure(Path(workdir))
    times, errors = result["times"], sum(result["errors_by_name"].values())
    if errors or not result["results"]:
        return report("PDF over HTTP: downloads that were not a PDF", errors, "", "0", False)
    figures = result["results"][0]
    fresh, plain, stored = (statistics.median(times[n]) for n in ("fresh", "plain", "stored"))
    cpu = {name: statistics.median(figures["cpu"][name]) for name in ("fresh", "plain")}
    ratio, speedup = fresh / plain, fresh / stored
    note(
        f"gunicorn 1 sync worker, SQLite; locust, 1 user; {RUNS} downloads of each, "
        f"alternated; report {figures['pages']} pages, plain document of its text "
        f"({figures['words']} words) {figures['plain_pages']} pages"
    )
    ok = report(LABELS["fresh"], fresh, "s", f"<= {MAX_SECONDS} s", fresh <= MAX_SECONDS)
    report(LABELS["plain"], plain, "s", "(baseline)", True)
    ok &= report(LABELS["ratio"], ratio, "x", f"<= {MAX_RATIO:g}x", ratio <= MAX_RATIO)
    note(f"(a) min-max: {min(times['fresh']):.3f}-{max(times['fresh']):.3f} s")
    note(
        f"gunicorn worker's CPU per download (psutil), median: (a) {cpu['fresh']:.3f} s, "
        f"(b) {cpu['plain']:.3f} s, ratio {cpu['fresh'] / cpu['plain']:.2f} "
        "(wall time above CPU time is waiting for the machine's other processes)"
    )
    report(LABELS["stored"], stored * 1000, "ms", "(measured)", True)
    ok &= report(LABELS["speedup"], speedup, "x", f">= {MIN_SPEEDUP:g}x", speedup >= MIN_SPEEDUP)
    ok &= report(LABELS["memory"], memory, "MB", f"<= {MAX_MB:g} MB", memory <= MAX_MB)
    return ok
