"""One counter everywhere: core questions answered of core questions (`Result.progress`)."""

import pytest
from django.urls import reverse

from assessor import engine
from tests.builders import SAFEST, make_assessment

pytestmark = pytest.mark.django_db

BLAST = {"privilege_scope": "narrow", "identities_affected": "one"}


def test_the_counter_counts_core_questions_only(model, safe_answers):
    core = len(model.core_keys)
    complete = engine.evaluate(model, safe_answers, plan=False).progress
    assert (complete.answered, complete.total, complete.percent) == (core, core, 100)
    assert str(complete) == f"{core} of {core} core questions answered"
    follow_up = next(q.key for q in model.questions if not q.core)
    partial = engine.evaluate(
        model, {k: v for k, v in safe_answers.items() if k in model.core_keys[:3] or k == follow_up}
    )
    assert partial.progress.answered == 3


def test_a_finished_assessment_reads_the_same_on_wizard_report_and_dashboard(
    owner_client, questionnaire, owner
):
    assessment = make_assessment(owner, answers=SAFEST)
    total = len(assessment.scoring_model().core_keys)
    expected = f"{total} of {total} core questions answered"
    wizard = owner_client.get(reverse("wizard", args=[assessment.pk, 3])).content.decode()
    report = owner_client.get(reverse("report", args=[assessment.pk])).content.decode()
    dashboard = owner_client.get("/").content.decode()
    assert f"{expected} and saved (100%)" in wizard
    assert expected in report and expected in dashboard
    # a shown follow-up (policy evaluation) does not inflate either number
    assert "questions answered (" not in wizard.replace(f"{expected} and saved (100%)", "")


def test_the_live_panel_counts_the_unsaved_choices_by_the_same_definition(
    owner_client, questionnaire, owner
):
    assessment = make_assessment(owner)
    total = len(assessment.scoring_model().core_keys)
    step = owner_client.get(reverse("wizard", args=[assessment.pk, 5])).content.decode()
    assert f"0 of {total} core questions answered and saved" in step
    preview = owner_client.post(reverse("preview", args=[assessment.pk, 5]), BLAST)
    html = preview.content.decode()
    assert f"2 of {total} core questions answered, counting this step" in html
    assert f'data-core-answered="2" data-core-total="{total}"' in html
