"""Where a wizard step GET spends its time, in-process: figures that explain `wizard_http`.

No targets: it times the step-5 GET of `wizard_http` and the minimal signed-in baseline page
through Django's test client (no HTTP server, SQLite), and splits the GET into its parts by
timing the functions the view calls. Runs in its own process, on a throw-away database.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import note, report

ROOT = Path(__file__).resolve().parent.parent
RUNS = 300


def run() -> bool:
    completed = subprocess.run(
        [sys.executable, __file__],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if completed.returncode != 0:
        print(completed.stderr[-3000:])
        return report("wizard profile worker", completed.returncode, "exit", "0", False)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    note(f"Django test client, SQLite, mean of {RUNS} requests each, after a warm-up")
    report("minimal signed-in page GET (the HTTP bench's baseline)", figures["minimal"], "ms",
           "(reported)", True)  # fmt: skip
    report("wizard step GET, whole request", figures["wizard"], "ms", "(reported)", True)
    for part, label in PARTS.items():
        report(f"  of which {label}", figures["parts"][part], "ms", "(reported)", True)
    return True


PARTS = {
    "access": "access check: record + roles in its team, one query",
    "answers": "the saved answers",
    "form": "building the step's form",
    "markup": "the step's field markup (reused crispy output)",
    "page": "the page template without the field markup",
    "scoring": "step list and live verdict (scoring)",
}


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="assessor-wizard-profile-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from assessor import forms, services, views
    from assessor.examples import SAFEST
    from assessor.membership import member_add
    from bench.wizard_http import ANSWER_SETS, STEP

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    user = get_user_model().objects.create_user("profile", password="profile-password-1")
    member_add(team_name="Bench", username="profile", role="reviewer")
    assessment = services.assessment_create(owner=user, team=user.teams.get(), name="Profile")
    answers = {key: (choice, "", "") for key, choice in SAFEST.items()}
    answers.update(ANSWER_SETS[0])
    services.answers_save(assessment=assessment, existing={}, submitted=answers)

    spent: Counter = Counter()

    def timed(owner, name, part):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - start

        setattr(owner, name, wrapper)

    timed(views.access, "assessment_for", "access")
    timed(views.selectors, "answers_of", "answers")
    timed(views, "SectionForm", "form")
    timed(forms.SectionForm, "blocks", "markup")
    timed(views, "render", "render")
    timed(views.selectors, "steps_of", "scoring")
    timed(views.selectors, "evaluate", "scoring")

    client = Client()
    client.force_login(user)

    def mean_ms(path: str) -> float:
        for _ in range(30):
            assert client.get(path).status_code == 200, path
        spent.clear()
        start = time.perf_counter()
        for _ in range(RUNS):
            client.get(path)
        return (time.perf_counter() - start) / RUNS * 1000

    minimal = mean_ms("/bench/minimal/")
    wizard = mean_ms(f"/assessments/{assessment.pk}/step/{STEP}/")
    parts = {part: seconds / RUNS * 1000 for part, seconds in spent.items()}
    parts["page"] = parts.pop("render") - parts["markup"]  # the template calls blocks()
    print(json.dumps({"minimal": minimal, "wizard": wizard, "parts": parts}))


if __name__ == "__main__":
    main()
