"""Reasons as the report and page 1 give them: one per cause, the rules it merges listed."""

import pytest
from django.urls import reverse

from assessor import engine
from assessor.documents import findings
from tests.builders import MIXED_PLAN, make_assessment, read

pytestmark = pytest.mark.django_db


def riskiest_core(model) -> dict[str, str]:
    return {q.key: q.riskiest.key for q in model.questions if q.core}


@pytest.mark.parametrize(
    "lead, merged",
    [
        ("no-policy-as-code", "condition-runtime-policy"),
        ("no-automatic-revocation", "condition-ephemeral-credentials"),
        ("trigger-or-completion-undefined", "condition-trigger-and-completion"),
    ],
)
def test_a_condition_with_the_same_cause_as_a_rule_is_one_reason(model, lead, merged):
    result = engine.evaluate(model, riskiest_core(model))
    fired = {rule.id for rule in result.rules_fired}
    assert {lead, merged} <= fired  # both still fire: the result keeps every rule
    reasons = findings.reasons(model, result)
    shown = [reason.rule for reason in reasons]
    assert lead in shown and merged not in shown
    reason = next(r for r in reasons if r.rule == lead)
    assert reason.rules == (lead, merged)
    title = next(c.title for c in model.ownership_conditions if c.rule_id == merged)
    assert reason.also_conditions == (title,)
    condition_refs = next(c.frameworks for c in model.ownership_conditions if c.rule_id == merged)
    assert {ref.ref for ref in reason.refs} >= set(condition_refs) & set(model.frameworks)
    # every fired rule is in exactly one reason
    listed = [rule for r in reasons if not r.floor for rule in r.rules]
    assert sorted(listed) == sorted(fired)


def test_a_condition_alone_stays_a_reason_of_its_own(model):
    from tests.builders import LOWER_TRUST

    result = engine.evaluate(model, LOWER_TRUST)
    shown = [reason.rule for reason in findings.reasons(model, result)]
    assert "condition-ephemeral-credentials" in shown  # no bank rule says the same here


def test_the_report_and_page_one_show_one_reason_per_cause(
    owner_client, owner, questionnaire, model
):
    assessment = make_assessment(owner, answers=MIXED_PLAN, name="Secret rotation")
    html = owner_client.get(reverse("report", args=[assessment.pk])).content.decode()
    assert 'data-rules="no-policy-as-code condition-runtime-policy"' in html
    assert 'data-rule="condition-runtime-policy"' not in html
    assert (
        "The same cause leaves the condition for ownership “Runtime policy checks” not met." in html
    )
    # the change that clears both rules resolves one reason, once
    assert "Resolves reasons 2, 7" not in html
    response = owner_client.get(reverse("report_pdf", args=[assessment.pk]))
    first = " ".join(read(response.content).pages[0].extract_text().split())
    assert "Also leaves “Runtime policy checks” not met." in first
    # the JSON export keeps every fired rule
    export = owner_client.get(reverse("export_json", args=[assessment.pk])).content.decode()
    assert "condition-runtime-policy" in export and "no-policy-as-code" in export
