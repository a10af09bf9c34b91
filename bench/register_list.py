"""The agent register's list for 10,000 agents and 30,000 assessments: the median time of a
page, unfiltered and filtered by current verdict, and a number of SQL queries that does not
grow with the register (the same on page 1 as on page 200).

Runs in a process of its own on a throwaway SQLite database (`timeit`, median of 7).
"""

import json
import os
import statistics
import sys
import tempfile
import time
import timeit

from bench.common import note, report
from bench.server import script

AGENTS = 10_000
PER_AGENT = 3  # workflows' records: an approved one, its draft revision, another approved one
TARGET_MS = 500


def run() -> bool:
    figures = script([sys.executable, __file__], timeout=900)
    note(
        f"{figures['agents']:,} agents, {figures['identities']:,} identities, "
        f"{figures['assessments']:,} assessments seeded in {figures['seed_seconds']:.1f} s"
    )
    ok = True
    for key, label in (("all", "unfiltered"), ("verdict", "filtered by current verdict")):
        ms = figures[key]["median_ms"]
        name = f"register list page, {label} (median of 7)"
        ok &= report(name, ms, "ms", f"<= {TARGET_MS} ms", ms <= TARGET_MS)
    counts = {figures[key]["queries"] for key in ("all", "verdict", "last_page")}
    fixed = len(counts) == 1
    ok &= report(
        "SQL queries per list page (first, filtered, last)", max(counts), "", "fixed", fixed
    )
    return ok


def seed(team, owner, published, total_core) -> dict:
    from assessor.models import Agent, AgentIdentity, Assessment

    Agent.objects.bulk_create(
        [
            Agent(team=team, owner=owner, name=f"Agent {n:05d}", platform=f"Platform {n % 7}")
            for n in range(AGENTS)
        ],
        batch_size=2000,
    )
    agents = list(Agent.objects.order_by("pk"))
    AgentIdentity.objects.bulk_create(
        [
            AgentIdentity(
                agent=agent,
                kind="workload_identity",
                system="Cloud",
                credential_type="short_lived_token",
                credential_lifetime="ephemeral",
            )
            for agent in agents
        ],
        batch_size=5000,
    )
    verdicts = ("copilot", "supervised", "owner")

    def record(agent, n, **fields):
        return Assessment(
            name=f"Workflow {agent.pk}-{n}",
            questionnaire=published,
            team=team,
            owner=owner,
            agent=agent,
            total_core=total_core,
            answered_core=total_core,
            **fields,
        )

    # the base manager: the bench writes reviewed rows directly, not through the review loop
    rows = Assessment._base_manager
    first = rows.bulk_create(
        [
            record(agent, n, status="approved", verdict=verdicts[(agent.pk + n) % 3])
            for agent in agents
            for n in (1, 2)
        ],
        batch_size=2000,
    )
    rows.bulk_create(
        [
            record(agent, 1, previous=r, revision=2)
            for agent, r in zip(agents, first[::2], strict=True)
        ],
        batch_size=2000,
    )
    return {"agents": len(agents), "identities": len(agents), "assessments": rows.count()}


def measure(client, url: str, connection) -> dict:
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    count = len(queries)
    times = timeit.repeat(lambda: client.get(url), number=1, repeat=7)
    return {"median_ms": statistics.median(times) * 1000, "queries": count}


def main() -> None:
    os.environ["DATABASE_URL"] = (
        f"sqlite:///{tempfile.mkdtemp(prefix='assessor-register-')}/b.sqlite3"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"  # as the test suite
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    from assessor.models import Questionnaire
    from assessor.teams.membership import member_add

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    published = Questionnaire.current()
    reviewer = member_add(team_name="Bench", username="reviewer", role="reviewer")
    start = time.perf_counter()
    seeded = seed(reviewer.team, reviewer.user, published, len(published.scoring_model().core_keys))
    seeded["seed_seconds"] = time.perf_counter() - start
    client = Client()
    client.force_login(reviewer.user)
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        figures = {
            "all": measure(client, "/agents/", connection),
            "verdict": measure(client, "/agents/?verdict=owner", connection),
            "last_page": measure(client, "/agents/?page=last", connection),
        }
    print(json.dumps({**seeded, **figures}))


if __name__ == "__main__":
    main()
