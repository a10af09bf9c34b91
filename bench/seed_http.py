"""Seed the HTTP bench's own PostgreSQL database (run by `bench/wizard_http.py`, as a script).

    DATABASE_URL=postgres://.../assessor_bench DJANGO_SETTINGS_MODULE=bench.settings \
        BENCH_USER_PASSWORD=... .venv/bin/python bench/seed_http.py --users 4

Drops and recreates the database (whose name must end in `_bench`), migrates it, loads the
shipped questionnaire, then creates one reviewer per load-generator thread (all in one team),
each owning a wizard
assessment (every core question answered, step 5 with the bench's first answer set) and a
second assessment the baseline save view writes to. Prints one JSON object on its last line.
"""

import argparse
import io
import json
import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench.wizard_http import ANSWER_SETS, STEP  # noqa: E402  (standard library only)


def admin_connection(url: str):
    """An autocommit connection to the `postgres` database on the server `url` points at."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


def drop_database(conn, name: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def recreate_database(url: str) -> str:
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if parts.scheme not in {"postgres", "postgresql"} or not name.endswith("_bench"):
        raise SystemExit(f"refusing to recreate {name!r}: the bench only owns *_bench databases")
    with admin_connection(url) as conn:
        drop_database(conn, name)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def seed(users: int, password: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from assessor import membership, services
    from assessor.models import Questionnaire

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_questionnaire", stdout=io.StringIO())
    questionnaire = Questionnaire.current()
    model = questionnaire.scoring_model()
    section = questionnaire.document["sections"][STEP - 1]
    step_keys = {q["key"] for q in section["questions"]}
    for answers in ANSWER_SETS:
        if set(answers) != step_keys:
            raise SystemExit(
                f"answer set keys {sorted(answers)} != step {STEP} {sorted(step_keys)}"
            )
        for key, (choice, _, _) in answers.items():
            if choice not in model.question_map[key].choice_map:
                raise SystemExit(f"{key}={choice} is not a choice of the questionnaire")
    # Every core question answered with its safest choice, then step 5 as the first answer set:
    # the wizard renders a full side list and a complete live verdict, as late in a review.
    submitted = {q.key: (q.choices[0].key, "", "") for q in model.questions if q.core}
    submitted.update(ANSWER_SETS[0])

    clients = []
    for number in range(1, users + 1):
        # A reviewer (may edit) in the bench's team, as `manage.py add_member` would make one.
        member = membership.member_add(
            team_name="Bench", username=f"bench{number}", role="reviewer"
        )
        user, team = member.user, member.team
        user.set_password(password)
        user.save(update_fields=["password"])
        wizard = services.assessment_create(owner=user, team=team, name=f"Bench wizard {number}")
        services.answers_save(assessment=wizard, existing={}, submitted=submitted, user=user)
        baseline = services.assessment_create(
            owner=user, team=team, name=f"Bench baseline {number}"
        )
        clients.append({"username": user.username, "wizard": wizard.pk, "baseline": baseline.pk})
    return {"questionnaire": questionnaire.version, "clients": clients}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, required=True)
    args = parser.parse_args()
    database = recreate_database(os.environ["DATABASE_URL"])
    result = seed(args.users, os.environ["BENCH_USER_PASSWORD"])
    print(json.dumps({"database": database, **result}))


if __name__ == "__main__":
    main()
