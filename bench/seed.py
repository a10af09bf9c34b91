"""Fill a bench database: migrate, load the questionnaire, make what the benchmark KIND needs.

Run by the HTTP benchmarks as `bench/seed.py {wizard,api,pdf,load} [--users N]` with the
server's environment; prints one JSON object on its last line.
"""

import argparse
import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from assessor import engine  # noqa: E402
from assessor.dashboard import examples  # noqa: E402
from assessor.models import Assessment, Questionnaire  # noqa: E402
from assessor.records import services  # noqa: E402
from assessor.teams import membership, tokens  # noqa: E402
from bench.common import ANSWER_SETS, STEP, STEPS  # noqa: E402

NOTE = "Reviewed with the workflow owner; evidence kept in the change record. " * 6


def member(team: str, username: str, role: str):
    """A member as `manage.py add_member` makes one, with the bench's password."""
    made = membership.member_add(team_name=team, username=username, role=role)
    made.user.set_password(os.environ.get("BENCH_USER_PASSWORD", "unused"))
    made.user.save(update_fields=["password"])
    return made


def wizard(users: int) -> dict:
    """Per client: a wizard assessment (every core question safest, step 5 as the first answer
    set: a full side list and live verdict, as late in a review) and one for the baseline."""
    questionnaire = Questionnaire.current()
    model = questionnaire.scoring_model()
    step_keys = {q["key"] for q in questionnaire.document["sections"][STEP - 1]["questions"]}
    for answers in ANSWER_SETS:
        if set(answers) != step_keys:
            raise SystemExit(f"answer set {sorted(answers)} != step {STEP} {sorted(step_keys)}")
        for key, (choice, _, _) in answers.items():
            if choice not in model.question_map[key].choice_map:
                raise SystemExit(f"{key}={choice} is not a choice of the questionnaire")
    submitted = {q.key: (q.choices[0].key, "", "") for q in model.questions if q.core}
    submitted.update(ANSWER_SETS[0])
    clients = []
    for number in range(1, users + 1):
        made = member("Bench", f"bench{number}", "reviewer")
        user, team = made.user, made.team
        record = services.assessment_create(owner=user, team=team, name=f"Bench wizard {number}")
        services.answers_save(assessment=record, existing={}, submitted=submitted, user=user)
        baseline = services.assessment_create(owner=user, team=team, name=f"Baseline {number}")
        clients.append({"username": user.username, "wizard": record.pk, "baseline": baseline.pk})
    return {"clients": clients}


def api(users: int) -> dict:
    """Per client: a token and a complete assessment (the leaver example: a path to compute);
    then the queries of listing 10 and 100 assessments through the API, in-process."""
    leaver = next(e for e in examples.EXAMPLES if e["name"] == "Leaver deprovisioning")
    submitted = {k: (c, "", "") for k, c in {**examples.SAFEST, **leaver["answers"]}.items()}
    clients = []
    for number in range(1, users + 1):
        made = member("Bench", f"api{number}", "reviewer")
        record = services.assessment_create(owner=made.user, team=made.team, name=f"API {number}")
        services.answers_save(assessment=record, existing={}, submitted=submitted, user=made.user)
        clients.append(
            {"token": tokens.token_create(user=made.user, name="bench")[1], "assessment": record.pk}
        )
    lister = member("Listing", "lister", "auditor")
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {tokens.token_create(user=lister.user, name='l')[1]}"
    )
    counts = {}
    for size in (10, 100):
        missing = size - Assessment.objects.filter(team=lister.team).count()
        Assessment.objects.bulk_create(
            Assessment(
                name=f"Listed {n}",
                owner=lister.user,
                team=lister.team,
                questionnaire=Questionnaire.current(),
            )
            for n in range(missing)
        )
        # A per-minute window: an expired rate-limit entry would add its DELETE.
        with override_settings(ASSESSOR_API_RATE="10000/min", ALLOWED_HOSTS=["testserver"]):
            client.get("/api/v1/assessments/?page_size=100")  # warm: the token's last use set
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/api/v1/assessments/?page_size=100")
        if response.status_code != 200 or response.json()["count"] != size:
            raise SystemExit(f"listing {size}: HTTP {response.status_code}")
        counts[size] = len(queries)
    return {"clients": clients, "list_queries": counts}


def pdf(_users: int) -> dict:
    """Two assessments with the same answers (every shown question, a long note and a link on
    each, a few gaps): a draft, whose PDF is rendered afresh, and an approved copy (stored)."""
    model = Questionnaire.current().scoring_model()
    answers = {**examples.SAFEST, "data_quality": "uneven", "input_sources": "mixed"}
    answers["input_isolation"] = "filtered"
    shown = {q.key for q in engine.visible_questions(model, answers)}
    if shown - set(answers):
        raise SystemExit(f"shown questions left unanswered: {shown - set(answers)}")
    submitted = {
        k: (c, f"{k}: {NOTE}", f"https://wiki.example.com/iam/{k}")
        for k, c in answers.items()
        if k in shown
    }
    bench, approver = member("Bench", "bench", "reviewer"), member("Bench", "approver", "approver")
    records = {}
    for label in ("fresh", "approved"):
        record = services.assessment_create(
            owner=bench.user, team=bench.team, name="Benchmark: leaver deprovisioning"
        )
        services.answers_save(assessment=record, existing={}, submitted=submitted, user=bench.user)
        records[label] = record.pk
    # Submitted and approved through the app's own views, as a reviewer and an approver would.
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for user, action in ((bench.user, "submit"), (approver.user, "approve")):
            client = Client()
            client.force_login(user)
            response = client.post(f"/assessments/{records['approved']}/{action}/")
            if response.status_code != 302:
                raise SystemExit(f"{action}: HTTP {response.status_code}")
    return records


def load(users: int) -> dict:
    """The load's reviewers, all in one team; each creates its own assessment over HTTP."""
    sections = len(Questionnaire.current().document["sections"])
    if sections != STEPS:
        raise SystemExit(f"the questionnaire has {sections} sections, the load expects {STEPS}")
    return {
        "users": [member("Load", f"load{n}", "reviewer").user.username for n in range(1, users + 1)]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["wizard", "api", "pdf", "load"])
    parser.add_argument("--users", type=int, default=1)
    args = parser.parse_args()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_questionnaire", stdout=io.StringIO())
    print(json.dumps(globals()[args.kind](args.users)))


if __name__ == "__main__":
    main()
