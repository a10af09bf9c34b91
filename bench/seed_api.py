"""Seed the API bench's own PostgreSQL database (run by `bench/api_http.py`, as a script).

    DATABASE_URL=postgres://.../assessor_api_bench DJANGO_SETTINGS_MODULE=bench.settings \\
        .venv/bin/python bench/seed_api.py --users 4

Drops and recreates the database (its name must end in `_bench`), migrates it, loads the
shipped questionnaire and creates one reviewer per load-generator thread, each with a token and
a complete assessment (the leaver example's answers: a path to the next level to compute).
Then counts the queries of listing 10 and 100 assessments through the API in-process. Prints
one JSON object on its last line.
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

from bench.seed_http import recreate_database  # noqa: E402

LIST_SIZES = (10, 100)


def list_queries(token: str, team, owner, questionnaire) -> dict[int, int]:
    """Queries of one GET of the list (page size 100) with 10, then 100 records in the team."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from assessor.models import Assessment

    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    counts = {}
    for size in LIST_SIZES:
        missing = size - Assessment.objects.filter(team=team).count()
        Assessment.objects.bulk_create(
            Assessment(name=f"Listed {n}", owner=owner, team=team, questionnaire=questionnaire)
            for n in range(missing)
        )
        # A per-minute window: a rate-limit entry that expired between the two calls would add
        # its DELETE (the bench's gunicorn run counts per second).
        with override_settings(ASSESSOR_API_RATE="10000/min"):
            client.get("/api/v1/assessments/?page_size=100")  # warm: the token's last use set
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/api/v1/assessments/?page_size=100")
        if response.status_code != 200 or response.json()["count"] != size:
            raise SystemExit(f"listing {size}: HTTP {response.status_code}")
        counts[size] = len(queries)
    return counts


def seed(users: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from assessor import examples, membership, services, tokens
    from assessor.models import Questionnaire

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_questionnaire", stdout=io.StringIO())
    questionnaire = Questionnaire.current()
    leaver = next(e for e in examples.EXAMPLES if e["name"] == "Leaver deprovisioning")
    answers = {**examples.SAFEST, **leaver["answers"]}  # as seed_examples stores it
    submitted = {key: (choice, "", "") for key, choice in answers.items()}
    clients = []
    for number in range(1, users + 1):
        member = membership.member_add(team_name="Bench", username=f"api{number}", role="reviewer")
        record = services.assessment_create(
            owner=member.user, team=member.team, name=f"Bench API {number}"
        )
        services.answers_save(assessment=record, existing={}, submitted=submitted)
        _, raw = tokens.token_create(user=member.user, name="bench")
        clients.append({"token": raw, "assessment": record.pk})
    lister = membership.member_add(team_name="Listing", username="lister", role="auditor")
    _, raw = tokens.token_create(user=lister.user, name="bench list")
    queries = list_queries(raw, lister.team, lister.user, questionnaire)
    return {"clients": clients, "list_queries": queries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, required=True)
    args = parser.parse_args()
    database = recreate_database(os.environ["DATABASE_URL"])
    print(json.dumps({"database": database, **seed(args.users)}))


if __name__ == "__main__":
    main()
