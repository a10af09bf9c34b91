"""Runs in its own process for bench/pdf_render.py, so its peak memory is the renderer's own.

Sets up a throw-away SQLite database, creates a fully answered assessment with a note on every
question, renders its PDF 10 times, then renders a plain document with the same number of
pages 10 times, and prints the timings and the peak memory as JSON.
"""

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

    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    assessment = services.assessment_create(owner=user, name="Benchmark: leaver deprovisioning")
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

    pdf.assessment_pdf(assessment, generated_by=user)  # warm-up: fonts, templates
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        content = pdf.assessment_pdf(assessment, generated_by=user)
        timings.append(time.perf_counter() - start)
    pages = len(PdfReader(__import__("io").BytesIO(content)).pages)

    paragraph = "<p>" + ("Plain text for a baseline document of the same length. " * 12) + "</p>"
    plain_pages = "".join(
        f'<section style="break-after: page">{paragraph * 5}</section>' for _ in range(pages)
    )
    plain_html = f"<html><body>{plain_pages}</body></html>"
    weasyprint.HTML(string=plain_html).write_pdf()
    plain = []
    for _ in range(RUNS):
        start = time.perf_counter()
        plain_content = weasyprint.HTML(string=plain_html).write_pdf()
        plain.append(time.perf_counter() - start)
    plain_page_count = len(PdfReader(__import__("io").BytesIO(plain_content)).pages)

    print(
        json.dumps(
            {
                "median_s": statistics.median(timings),
                "plain_median_s": statistics.median(plain),
                "pages": pages,
                "plain_pages": plain_page_count,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
