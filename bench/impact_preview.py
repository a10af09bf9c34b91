"""The admin's impact preview for 10,000 assessments: at most 5 s, a fixed number of queries.

Runs in a process of its own on a throwaway SQLite database (best of 3, `timeit`).
"""

import json
import os
import random
import sys
import tempfile
import time
import timeit

from bench.common import note, report
from bench.server import script

ASSESSMENTS = 10_000


def run() -> bool:
    figures = script([sys.executable, __file__], timeout=900)
    note(
        f"{figures['assessments']:,} assessments, {figures['answers']:,} answers seeded in "
        f"{figures['seed_seconds']:.1f} s; {figures['changed']:,} verdicts would change"
    )
    seconds, name = figures["seconds"], "impact preview page for 10,000 assessments (best of 3)"
    ok = report(name, seconds, "s", "<= 5 s", seconds <= 5)
    report("SQL queries for that page", figures["queries"], "", "fixed", True)
    return ok


def seed(model, published, team, owner) -> int:
    """Seeded answers, mostly safe: a realistic spread of verdicts (not what is measured)."""
    from assessor.engine import evaluate
    from assessor.models import Answer, Assessment

    rng = random.Random(2026)
    records = Assessment._base_manager.bulk_create(
        [
            Assessment(
                name=f"Workflow {n}",
                questionnaire=published,
                team=team,
                owner=owner,
                total_core=len(model.core_keys),
            )
            for n in range(ASSESSMENTS)
        ],
        batch_size=2000,
    )
    answers = []
    for record in records:
        chosen = {
            q.key: q.choices[0].key if rng.random() < 0.85 else rng.choice(q.choices).key
            for q in model.questions
            if q.core
        }
        answers.extend(
            Answer(assessment=record, question_key=k, choice_key=v) for k, v in chosen.items()
        )
        result = evaluate(model, chosen, plan=False)  # the summary the dashboard keeps
        record.verdict = result.verdict if result.complete else ""
        record.score = result.score if result.complete else None
        record.answered_core = result.progress.answered
    Answer._base_manager.bulk_create(answers, batch_size=5000)
    Assessment._base_manager.bulk_update(
        records, ["verdict", "score", "answered_core"], batch_size=2000
    )
    return len(answers)


def main() -> None:
    os.environ["DATABASE_URL"] = (
        f"sqlite:///{tempfile.mkdtemp(prefix='assessor-impact-')}/b.sqlite3"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"  # as the test suite
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from assessor.bank import loading
    from assessor.models import Questionnaire, Rule
    from assessor.teams.membership import member_add

    setup_test_environment()  # the test client then exposes the page's context
    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    published = Questionnaire.current()
    tuner = member_add(team_name="Bench", username="tuner", role="admin")
    # roles are per team: the preview lists the records of the teams the tuner may read
    member_add(team_name="Bench", username="tuner", role="auditor")
    reviewer = member_add(team_name="Bench", username="reviewer", role="reviewer")
    start = time.perf_counter()
    answers = seed(published.scoring_model(), published, reviewer.team, reviewer.user)
    seeded = time.perf_counter() - start
    draft = loading.questionnaire_clone(published, version="bench-draft")
    Rule.objects.filter(questionnaire=draft, key="partial-evidence").update(cap="copilot")
    loading.questionnaire_refresh(draft)
    client = Client()
    client.force_login(tuner.user)
    url = reverse("admin:assessor_impact", args=[draft.pk])
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client.get(url)  # warm-up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        count = len(queries)  # now: the next request resets the connection's query log
        assert response.status_code == 200, response.status_code
        seconds = min(timeit.repeat(lambda: client.get(url), number=1, repeat=3))
    impact = response.context["impact"]
    print(
        json.dumps(
            {
                "assessments": impact.total,
                "answers": answers,
                "changed": len(impact.changes),
                "seconds": seconds,
                "queries": count,
                "seed_seconds": seeded,
            }
        )
    )


if __name__ == "__main__":
    main()
