"""Runs in its own process for bench/pdf_render.py, so its peak memory is the renderer's own.

Sets up a throw-away SQLite database, creates a fully answered assessment with a note on every
question, then renders its PDF and a plain document with the same number of pages 10 times
each, alternating, and prints the median timings and the peak memory as JSON.

Alternating the two means drift on the machine (another process, CPU frequency) weighs on both
sides of the ratio alike. Garbage left by the previous render is collected before each timed
render, on both sides, so no render pays for its predecessor's clean-up (timeit does the same
by switching the collector off).
"""

import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
workdir = tempfile.mkdtemp(prefix="assessor-pdf-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"
RUNS = 10


def timed(render) -> float:
    """Seconds one render takes, after collecting the garbage of whatever ran before it."""
    gc.collect()
    start = time.perf_counter()
    render()
    return time.perf_counter() - start


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115

    import weasyprint
    from django.contrib.auth import get_user_model
    from pypdf import PdfReader

    from assessor import pdf, services
    from assessor.examples import SAFEST
    from assessor.membership import member_add

    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    approver = get_user_model().objects.create_user("approver", password="bench-password-2")
    member_add(team_name="Bench", username="bench", role="reviewer")
    member_add(team_name="Bench", username="approver", role="approver")
    assessment = services.assessment_create(
        owner=user, team=user.teams.get(), name="Benchmark: leaver deprovisioning"
    )
    model = assessment.questionnaire.scoring_model()
    answers = {**SAFEST, "data_quality": "uneven", "input_sources": "mixed"}
    answers["input_isolation"] = "filtered"
    note = "Reviewed with the workflow owner; evidence kept in the change record. " * 6
    submitted = {
        key: (choice, f"{key}: {note}", f"https://wiki.example.com/iam/{key}")
        for key, choice in answers.items()
        if key in model.question_map
    }
    services.answers_save(assessment=assessment, existing={}, submitted=submitted)

    content = pdf.assessment_pdf(assessment, generated_by=user)  # warm-up: fonts, templates
    pages = len(PdfReader(__import__("io").BytesIO(content)).pages)

    # The baseline: plain paragraphs filling the same number of pages, found once (untimed).
    paragraph = "<p>" + ("Plain text for a baseline document of the same length. " * 12) + "</p>"

    def plain_document(count: int) -> str:
        return f"<html><body>{paragraph * count}</body></html>"

    def page_count(html: str) -> int:
        return len(weasyprint.HTML(string=html).render().pages)

    count = 1
    while page_count(plain_document(count * 2)) <= pages:
        count *= 2
    low, high = count, count * 2  # pages(low) <= target < pages(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if page_count(plain_document(middle)) <= pages else (low, middle)
    plain_html = plain_document(low)
    plain_content = weasyprint.HTML(string=plain_html).write_pdf()  # warm-up
    plain_page_count = len(PdfReader(__import__("io").BytesIO(plain_content)).pages)

    timings, plain = [], []
    for _ in range(RUNS):
        timings.append(timed(lambda: pdf.assessment_pdf(assessment, generated_by=user)))
        plain.append(timed(lambda: weasyprint.HTML(string=plain_html).write_pdf()))

    # An approved record's PDF is served from storage: time a download of it, end to end
    # through Django, against a fresh render of the same record.
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["testserver"]
    services.assessment_submit(assessment=assessment, user=user)
    services.assessment_approve(assessment=assessment, user=approver)
    client = Client()
    client.force_login(approver)
    url = reverse("report_pdf", args=[assessment.pk])
    client.get(url)
    stored = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        stored.append(time.perf_counter() - start)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    fresh = [
        timed(lambda: pdf.assessment_pdf(assessment, generated_by=approver)) for _ in range(RUNS)
    ]

    print(
        json.dumps(
            {
                "median_s": statistics.median(timings),
                "plain_median_s": statistics.median(plain),
                "pages": pages,
                "plain_pages": plain_page_count,
                "stored_download_s": statistics.median(stored),
                "approved_fresh_s": statistics.median(fresh),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
