"""Where a wizard step GET spends its time, in-process (no targets; explains `wizard_http`).

Times the functions the view calls (`timeit`, SQLite, a process of its own); a part whose
function has moved is left out with a note.
"""

import json
import os
import sys
import tempfile
import time
import timeit
from collections import Counter
from importlib import import_module

from bench.common import ANSWER_SETS, STEP, note, report
from bench.server import script

RUNS = 300
# part -> (label, [(module, attribute path)]): every function a part's time is spent in.
PARTS = {
    "access": (
        "access check: record + roles in its team, one query",
        [("assessor.wizard.views", "access.assessment_for")],
    ),
    "answers": (
        "the saved answers",
        [
            ("assessor.records.selectors", "answers_of"),
            ("assessor.records.selectors", "answers_shown"),
        ],
    ),
    "form": ("building the step's form", [("assessor.wizard.views", "SectionForm")]),
    "markup": (
        "the step's field markup (reused crispy output)",
        [("assessor.wizard.forms", "SectionForm.blocks")],
    ),
    "render": ("the page template without the field markup", [("assessor.wizard.views", "render")]),
    "scoring": (
        "step list and live verdict (scoring)",
        [("assessor.records.selectors", "steps_of"), ("assessor.records.selectors", "evaluate")],
    ),
}


def run() -> bool:
    figures = script([sys.executable, __file__], timeout=300)
    note(f"Django test client, SQLite, mean of {RUNS} requests each (timeit), after a warm-up")
    minimal = "minimal signed-in page GET (the HTTP bench's baseline)"
    report(minimal, figures["minimal"], "ms", "(reported)", True)
    report("wizard step GET, whole request", figures["wizard"], "ms", "(reported)", True)
    for part, (label, _) in PARTS.items():
        if part in figures["parts"]:
            report(f"  of which {label}", figures["parts"][part], "ms", "(reported)", True)
        else:
            note(f"of which {label}: not timed (its function has moved)")
    return True


def timed(spent: Counter, module: str, dotted: str, part: str) -> None:
    """Wrap module.dotted so that its calls add their time to spent[part]."""
    *path, name = dotted.split(".")
    owner = import_module(module)
    for step in path:
        owner = getattr(owner, step)
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def main() -> None:
    os.environ["DATABASE_URL"] = (
        f"sqlite:///{tempfile.mkdtemp(prefix='assessor-profile-')}/b.sqlite3"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client, override_settings

    from assessor.dashboard.examples import SAFEST
    from assessor.records import services
    from assessor.teams.membership import member_add

    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    member = member_add(team_name="Bench", username="profile", role="reviewer")
    record = services.assessment_create(owner=member.user, team=member.team, name="Profile")
    answers = {key: (choice, "", "") for key, choice in SAFEST.items()}
    services.answers_save(
        assessment=record,
        existing={},
        submitted={**answers, **ANSWER_SETS[0]},
        user=member.user,
    )
    spent: Counter = Counter()
    moved = set()
    for part, (_, functions) in PARTS.items():
        for module, dotted in functions:
            try:
                timed(spent, module, dotted, part)
            except (AttributeError, ImportError):
                moved.add(part)
    client = Client()
    client.force_login(member.user)

    def mean_ms(path: str) -> float:
        for _ in range(30):
            assert client.get(path).status_code == 200, path
        spent.clear()
        return timeit.timeit(lambda: client.get(path), number=RUNS) / RUNS * 1000

    with override_settings(ALLOWED_HOSTS=["testserver"]):
        minimal = mean_ms("/bench/minimal/")
        wizard = mean_ms(f"/assessments/{record.pk}/step/{STEP}/")
    parts = {part: s / RUNS * 1000 for part, s in spent.items() if part not in moved}
    if "render" in parts and "markup" in parts:
        parts["render"] -= parts["markup"]  # the template calls blocks()
    print(json.dumps({"minimal": minimal, "wizard": wizard, "parts": parts}))


if __name__ == "__main__":
    main()
