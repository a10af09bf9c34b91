"""Seed the PDF bench's own SQLite database (run by `bench/pdf_render.py`, as a script).

    DATABASE_URL=sqlite:////tmp/.../bench.sqlite3 DJANGO_SETTINGS_MODULE=bench.settings \
        BENCH_USER_PASSWORD=... .venv/bin/python bench/seed_pdf.py

Migrates, loads the shipped questionnaire, creates a reviewer and an approver, and two
assessments with the same answers (every question answered, a long note and an evidence link
on each, a few gaps so the report has reasons, a path and references): one stays a draft, so
every download of its PDF is a fresh render; the other is approved, so its PDF is served from
storage. Prints one JSON object on its last line.
"""

import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

NOTE = "Reviewed with the workflow owner; evidence kept in the change record. " * 6


def seed(password: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from assessor import membership, review, scoring, services
    from assessor.examples import SAFEST
    from assessor.models import Questionnaire

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_questionnaire", stdout=io.StringIO())
    model = Questionnaire.current().scoring_model()
    answers = {**SAFEST, "data_quality": "uneven", "input_sources": "mixed"}
    answers["input_isolation"] = "filtered"
    # Every question the answers show is answered: "fully answered, a note on every question".
    shown = {q.key for q in scoring.visible_questions(model, answers)}
    missing = shown - set(answers)
    if missing:
        raise SystemExit(f"the bench's answers leave shown questions unanswered: {missing}")
    submitted = {
        key: (choice, f"{key}: {NOTE}", f"https://wiki.example.com/iam/{key}")
        for key, choice in answers.items()
        if key in shown
    }
    users = {}
    for name, role in (("bench", "reviewer"), ("approver", "approver")):
        member = membership.member_add(team_name="Bench", username=name, role=role)
        member.user.set_password(password)
        member.user.save(update_fields=["password"])
        users[name] = member.user
    team = users["bench"].teams.get()
    records = {}
    for label in ("fresh", "approved"):
        assessment = services.assessment_create(
            owner=users["bench"], team=team, name="Benchmark: leaver deprovisioning"
        )
        services.answers_save(
            assessment=assessment, existing={}, submitted=submitted, user=users["bench"]
        )
        records[label] = assessment.pk
    approved = type(assessment).objects.get(pk=records["approved"])
    review.assessment_submit(assessment=approved, user=users["bench"])
    review.assessment_approve(assessment=approved, user=users["approver"])
    return {"users": list(users), **records}


if __name__ == "__main__":
    print(json.dumps(seed(os.environ["BENCH_USER_PASSWORD"])))
