"""First look: `make run` on an empty database creates three realistic example assessments."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from assessor.dashboard.examples import examples_create
from assessor.models import Assessment
from tests.builders import SAFEST, make_assessment, make_user

pytestmark = pytest.mark.django_db


def test_three_examples_with_three_different_verdicts(questionnaire):
    admin = make_user("admin")
    admin.is_superuser = True
    admin.save()
    call_command("seed_examples", stdout=io.StringIO())
    verdicts = dict(Assessment.objects.values_list("name", "verdict"))
    assert verdicts == {
        "Non-production secret rotation": "owner",
        "SaaS access approval": "supervised",
        "Leaver deprovisioning": "copilot",
    }
    assert all(a.owner == admin and a.is_complete for a in Assessment.objects.all())
    assert Assessment.objects.get(name="Leaver deprovisioning").answers.exclude(note="").exists()


def test_examples_are_not_created_twice_or_over_real_work(questionnaire, owner):
    call_command("seed_examples", "--owner", owner.username, stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_examples", "--owner", owner.username, stdout=out)
    assert Assessment.objects.count() == 3
    assert "already exist" in out.getvalue()


def test_without_an_administrator_it_exits_2(questionnaire):
    with pytest.raises(CommandError) as error:
        call_command("seed_examples")
    assert error.value.returncode == 2


def test_the_seeded_examples_are_marked_as_examples_and_real_work_is_not(questionnaire, owner):
    call_command("seed_examples", "--owner", owner.username, stdout=io.StringIO())
    assert set(Assessment.objects.values_list("is_example", flat=True)) == {True}
    real = make_assessment(owner, name="Leaver deprovisioning")
    assert real.is_example is False


def test_the_examples_report_says_it_is_an_example(questionnaire, owner, owner_client):
    [example, *_] = examples_create(owner=owner, team=owner.teams.get())
    html = owner_client.get(f"/assessments/{example.pk}/report/").content.decode()
    assert "Example</span>" in html and "not a real workflow" in html
    real = make_assessment(owner, answers=SAFEST, name="Rotate staging secrets")
    assert (
        "not a real workflow"
        not in owner_client.get(f"/assessments/{real.pk}/report/").content.decode()
    )


def test_examples_seeded_before_the_flag_are_marked_by_its_migration(questionnaire, owner):
    examples = examples_create(owner=owner, team=owner.teams.get())
    real = make_assessment(owner, name="Leaver deprovisioning")  # same name, not the example
    Assessment.objects.update(is_example=False)
    migration = importlib.import_module("assessor.migrations.0013_examples_flag")
    migration.flag_seeded_examples(apps, None)
    flagged = set(Assessment.objects.filter(is_example=True).values_list("pk", flat=True))
    assert flagged == {example.pk for example in examples} and real.pk not in flagged
