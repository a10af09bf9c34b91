"""Runs in its own process for bench/impact_preview.py: seeds 10,000 assessments into a
throw-away SQLite database, then times the admin's impact preview page for a draft."""

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
workdir = tempfile.mkdtemp(prefix="assessor-impact-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"
ASSESSMENTS = 10_000


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()  # the test client then exposes the page's context
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115

    from assessor import loading, selectors, services
    from assessor.membership import member_add
    from assessor.models import Answer, Assessment, Questionnaire, Rule, Team

    published = Questionnaire.current()
    model = published.scoring_model()
    member_add(team_name="Bench", username="tuner", role="admin")
    # roles are per team: the preview lists the records of the teams the tuner may read
    member_add(team_name="Bench", username="tuner", role="auditor")
    member_add(team_name="Bench", username="reviewer", role="reviewer")
    from django.contrib.auth import get_user_model

    tuner = get_user_model().objects.get(username="tuner")
    reviewer = get_user_model().objects.get(username="reviewer")
    team = Team.objects.get(name="Bench")

    # Seeding is not what is measured: plain bulk inserts, without the audit trail.
    rng = random.Random(2026)
    start = time.perf_counter()
    assessments = Assessment._base_manager.bulk_create(
        [
            Assessment(
                name=f"Workflow {n}",
                questionnaire=published,
                team=team,
                owner=reviewer,
                total_core=len(model.core_keys),
            )
            for n in range(ASSESSMENTS)
        ],
        batch_size=2000,
    )
    answers, summaries = [], []
    for assessment in assessments:
        # mostly safe answers, a few risky ones: a realistic spread of verdicts
        chosen = {
            q.key: q.choices[0].key if rng.random() < 0.85 else rng.choice(q.choices).key
            for q in model.questions
            if q.core
        }
        answers.extend(
            Answer(assessment=assessment, question_key=k, choice_key=v) for k, v in chosen.items()
        )
        result = selectors.evaluate(assessment, chosen)
        for name, value in services.summary_fields(result, assessment.total_core).items():
            setattr(assessment, name, value)
        summaries.append(assessment)
    Answer._base_manager.bulk_create(answers, batch_size=5000)
    Assessment._base_manager.bulk_update(
        summaries, ["verdict", "score", "answered_core"], batch_size=2000
    )
    seeded = time.perf_counter() - start

    draft = loading.questionnaire_clone(published, version="bench-draft")
    Rule.objects.filter(questionnaire=draft, key="partial-evidence").update(cap="copilot")
    loading.questionnaire_refresh(draft)

    client = Client()
    client.force_login(tuner)
    url = reverse("admin:assessor_impact", args=[draft.pk])
    client.get(url)  # warm-up
    timings = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    impact = response.context["impact"]
    print(
        json.dumps(
            {
                "assessments": impact.total,
                "answers": len(answers),
                "changed": len(impact.changes),
                "seconds": min(timings),
                "queries": len(queries),
                "seed_seconds": seeded,
            }
        )
    )


if __name__ == "__main__":
    main()
