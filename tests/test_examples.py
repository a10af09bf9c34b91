"""First look: `make run` on an empty database creates three realistic example assessments."""

import io

import pytest
from django.core.management import CommandError, call_command

from assessor.models import Assessment
from tests.builders import make_user

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
