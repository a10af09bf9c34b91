"""The PDF over HTTP: a fresh report.pdf download against a plain PDF of the same text.

gunicorn (1 sync worker) serves `bench.settings` on the bench's own throwaway SQLite database
(`bench/seed_pdf.py`): a fully answered assessment with a long note and a link on every
question, and an approved copy of it. One signed-in client then times, over HTTP:

  (a) GET /assessments/<id>/report.pdf of the draft: a fresh render every time;
  (b) GET /bench/plain.pdf: a plain WeasyPrint document holding the report PDF's own text
      (extracted with pypdf from one untimed download, one paragraph per page of it),
      rendered by a view of the same gunicorn (`bench/urls.py`).

RUNS of each, alternated, so drift on the machine weighs on both sides alike. Targets: the
median of (a) at most 2x the median of (b), and at most 0.8 s. Also: the approved copy's PDF,
served from storage, at least 20x faster than (a); the worker's peak memory at most 250 MB.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import note, report
from bench.wizard_http import (
    APP,
    HOST,
    ROOT,
    BenchError,
    Client,
    cpu_seconds,
    free_port,
    stop,
    wait_until_serving,
    worker_pids,
)

RUNS = 10
MAX_SECONDS, MAX_RATIO, MIN_SPEEDUP, MAX_MB = 0.8, 2.0, 20.0, 250.0


def seed(env: dict[str, str]) -> dict:
    seeded = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "seed_pdf.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if seeded.returncode != 0:
        print((seeded.stdout + seeded.stderr)[-3000:])
        raise BenchError("seeding the PDF bench database failed (output above)")
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def download(client: Client, path: str, cpu: list | None = None) -> tuple[float, bytes]:
    """Seconds one download takes over HTTP; with `cpu` [worker pid, list], also appends the
    CPU the gunicorn worker spent on it (steadier than wall time on a busy machine)."""
    before = cpu_seconds([cpu[0]]) if cpu else 0.0
    start = time.perf_counter()
    status, _, content = client.request("GET", path)
    elapsed = time.perf_counter() - start
    if cpu:
        cpu[1].append(cpu_seconds([cpu[0]]) - before)
    if status != 200 or not content.startswith(b"%PDF"):
        raise BenchError(f"GET {path}: HTTP {status}, not a PDF")
    return elapsed, content


def pages_and_text(content: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n\n".join(page.extract_text() for page in reader.pages)


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(workdir: Path, password: str) -> dict:
    text_file = workdir / "plain.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        DJANGO_DEBUG="0",
        PYTHONPATH=str(ROOT),
        BENCH_USER_PASSWORD=password,
        BENCH_PLAIN_TEXT=str(text_file),
    )
    records = seed(env)
    port = free_port()
    with open(workdir / "gunicorn.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", APP, "--workers=1", f"--bind={HOST}:{port}",
             f"--chdir={ROOT}", "--log-level=warning", "--timeout=120"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = Client(port)
        try:
            wait_until_serving(server, port, time.monotonic() + 30)
            client.sign_in("bench", password)
            fresh = f"/assessments/{records['fresh']}/report.pdf"
            stored = f"/assessments/{records['approved']}/report.pdf"
            _, content = download(client, fresh)  # untimed: warms fonts and templates
            pages, text = pages_and_text(content)
            text_file.write_text(text, encoding="utf-8")
            _, plain_content = download(client, "/bench/plain.pdf")  # untimed warm-up
            plain_pages, _ = pages_and_text(plain_content)
            (worker,) = worker_pids(server.pid)
            report_s, plain_s, stored_s, report_cpu, plain_cpu = [], [], [], [], []
            for _ in range(RUNS):
                report_s.append(download(client, fresh, [worker, report_cpu])[0])
                plain_s.append(download(client, "/bench/plain.pdf", [worker, plain_cpu])[0])
                stored_s.append(download(client, stored)[0])
            memory = peak_mb(worker)
        finally:
            client.close()
            stop(server)
    return {
        "report": statistics.median(report_s),
        "plain": statistics.median(plain_s),
        "stored": statistics.median(stored_s),
        "report_range": (min(report_s), max(report_s)),
        "report_cpu": statistics.median(report_cpu),
        "plain_cpu": statistics.median(plain_cpu),
        "pages": pages,
        "plain_pages": plain_pages,
        "words": len(text.split()),
        "peak_mb": memory,
    }


def run() -> bool:
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="assessor-pdf-bench-") as workdir:
        try:
            figures = measure(Path(workdir), password)
        except BenchError as problem:
            log = Path(workdir) / "gunicorn.log"
            if log.exists():
                print(log.read_text()[-3000:])
            return report(f"PDF over HTTP: {problem}", 0, "", "runs", False)
    ratio = figures["report"] / figures["plain"]
    speedup = figures["report"] / figures["stored"]
    note(
        f"gunicorn 1 sync worker, SQLite; {RUNS} downloads of each, alternated; report "
        f"{figures['pages']} pages, plain document of its text ({figures['words']} words) "
        f"{figures['plain_pages']} pages"
    )
    ok = report(
        "(a) fresh report.pdf download, fully answered, a note on every question, median",
        figures["report"],
        "s",
        f"<= {MAX_SECONDS} s",
        figures["report"] <= MAX_SECONDS,
    )
    report("(b) plain WeasyPrint PDF of the same text, same gunicorn, median", figures["plain"],
           "s", "(baseline)", True)  # fmt: skip
    ok &= report("report PDF / plain PDF, (a) / (b)", ratio, "x", f"<= {MAX_RATIO:g}x",
                 ratio <= MAX_RATIO)  # fmt: skip
    note("(a) min-max: {:.3f}-{:.3f} s".format(*figures["report_range"]))
    cpu_ratio = figures["report_cpu"] / figures["plain_cpu"]
    note(
        f"gunicorn worker's CPU per download, median: (a) {figures['report_cpu']:.3f} s, "
        f"(b) {figures['plain_cpu']:.3f} s, ratio {cpu_ratio:.2f} "
        "(wall time above CPU time is waiting for the machine's other processes)"
    )
    report("approved PDF download, served from storage, median", figures["stored"] * 1000,
           "ms", "(measured)", True)  # fmt: skip
    ok &= report("stored download speed-up over a fresh render, (a) / stored", speedup, "x",
                 f">= {MIN_SPEEDUP:g}x", speedup >= MIN_SPEEDUP)  # fmt: skip
    ok &= report("peak memory of the gunicorn worker (VmHWM)", figures["peak_mb"], "MB",
                 f"<= {MAX_MB:g} MB", figures["peak_mb"] <= MAX_MB)  # fmt: skip
    return ok
