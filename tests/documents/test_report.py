"""The HTML report: verdict, reasons, chart, checklist, path, frameworks and every answer."""

import html as markup
import re

import pytest
from django.urls import reverse

from assessor.documents import autonomy_scales
from tests.builders import AT_VERDICT, LOWER_TRUST, SAFEST, make_assessment

pytestmark = pytest.mark.django_db


def report_html(client, assessment):
    response = client.get(reverse("report", args=[assessment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def visible_text(html: str) -> str:
    """What a person reads: the markup without tags, attributes, scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def finding(html: str, attribute: str, value: str) -> str:
    """The list item of one finding (a reason, a condition or a weak area), as markup."""
    return re.search(rf'<li [^>]*{attribute}="{value}".*?</li>', html, re.S).group(0)


def test_the_verdict_is_shown_with_its_label_meaning_and_key(owner_client, owner, questionnaire):
    assessment = make_assessment(owner, answers=SAFEST)
    html = report_html(owner_client, assessment)
    assert 'data-verdict="owner"' in html
    assert "Bounded ownership" in html
    assert "The AI may run the workflow end to end" in html
    assert "The score decided this verdict." in html


def test_a_rule_decided_verdict_says_so_and_lists_every_fired_rule(
    owner_client, owner, questionnaire
):
    answers = {**SAFEST, "approval_chain": "unclear", "credential_lifetime": "standing"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    assert 'data-verdict="copilot"' in html
    assert 'data-decided-by="rule"' in html
    assert "A rule decided this verdict." in html
    assert (
        'data-rule="approval-chain-unclear"' in html and 'data-rule="standing-credentials"' in html
    )
    assert "Nobody can say who approves what" in html
    # the reasons are in plain language: no rule id where a person reads
    text = visible_text(html)
    assert "approval-chain-unclear" not in text and "standing-credentials" not in text


def test_the_chart_is_server_rendered_svg_with_every_dimension(owner_client, owner, questionnaire):
    answers = {**SAFEST, "data_quality": "uneven", "input_sources": "mixed"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    svg = re.search(r"<svg class=\"dimension-chart\".*?</svg>", html, re.S).group(0)
    assert "<script" not in svg
    for label in ("Trigger and completion", "Data trust", "Blast radius", "Environment"):
        assert label in svg
    # 1 of 5 points (the unanswered isolation follow-up counts at its riskiest), read out
    assert "Data trust: 20.0." in svg


def test_the_four_conditions_are_a_met_or_not_met_checklist(owner_client, owner, questionnaire):
    answers = {**SAFEST, "runtime_policy": "static_roles", "revocation": "manual"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    met = dict(re.findall(r'data-condition="([a-z-]+)" data-met="(true|false)"', html))
    assert met == {
        "trigger-and-completion": "true",
        "runtime-policy": "false",
        "ephemeral-credentials": "false",
        "evidence-capture": "true",
    }


def test_the_path_to_the_next_level_names_changes_and_controls(owner_client, owner, questionnaire):
    answers = {**SAFEST, "evidence_capture": "partial"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    assert "would lift the verdict to <strong>Bounded ownership</strong>" in html
    assert "End-to-end evidence capture" in html
    assert 'data-clears="partial-evidence condition-evidence-capture"' in html
    # the numbered reasons above, by number: both rules have one cause, so one reason
    assert 'data-rules="partial-evidence condition-evidence-capture"' in html
    assert "Resolves reason 1." in html
    assert "partial-evidence" not in visible_text(html)


def test_framework_references_are_grouped_by_framework(owner_client, owner, questionnaire):
    answers = {**SAFEST, "input_sources": "untrusted_free_text"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    assert '<h3 class="h6 mt-3">OWASP Top 10 for Agentic Applications 2026</h3>' in html
    assert "ASI01" in html and "Agent Goal Hijack" in html
    assert '<h3 class="h6 mt-3">NIST AI RMF 1.0</h3>' in html


def test_every_answer_appears_with_its_note_and_evidence_link(owner_client, owner, questionnaire):
    assessment = make_assessment(
        owner,
        answers=SAFEST,
        notes={"kill_switch": "Tested in the March game day."},
        links={"kill_switch": "https://wiki.example.com/kill-switch"},
    )
    html = report_html(owner_client, assessment)
    assert "Can a person stop the agent at once, mid-run?" in html
    assert "Yes, it was tested in the last six months" in html
    assert "Tested in the March game day." in html
    assert (
        '<a href="https://wiki.example.com/kill-switch" rel="noopener noreferrer nofollow">' in html
    )
    assert "version 2026.3" in html
    assert "Generated " in html


def test_user_text_is_escaped(owner_client, owner, questionnaire):
    assessment = make_assessment(
        owner,
        answers=SAFEST,
        name="<script>alert('name')</script>",
        notes={"monitoring": "<img src=x onerror=alert(1)>"},
    )
    html = report_html(owner_client, assessment)
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_an_incomplete_assessment_shows_what_is_missing_instead_of_a_verdict(
    owner_client, owner, questionnaire
):
    answers = {k: v for k, v in SAFEST.items() if k not in ("kill_switch", "legacy_iam")}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    assert 'data-verdict="incomplete"' in html
    assert "No verdict yet: 2 core questions unanswered" in html
    assert "Can a person stop the agent at once, mid-run?" in html
    assert 'href="/assessments/' in html and "#q-legacy_iam" in html
    assert "Bounded ownership</span>" not in html


def test_the_report_runs_at_most_15_queries(
    owner_client, owner, questionnaire, django_assert_max_num_queries
):
    assessment = make_assessment(owner, answers=SAFEST, notes={"monitoring": "n"})
    with django_assert_max_num_queries(15):
        owner_client.get(reverse("report", args=[assessment.pk]))


def test_a_scope_that_blocks_the_next_level_is_named_instead_of_a_plan(
    owner_client, owner, questionnaire
):
    answers = {**SAFEST, "task_type": "access_approval", "environment_tier": "production"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    assert 'data-verdict="supervised"' in html
    # Who takes the decision is scope too (2026.4); left open, it counts as the agent deciding.
    assert 'data-blocked-by="task_type environment_tier decision_source"' in html
    assert "not answered (counted as “The agent decides during the run”)" in html
    assert "This workflow, as scoped, stays at <strong>Supervised</strong>" in html
    assert "would lift the verdict" not in html
    assert "Non-production only" not in html.split('id="next-title"')[1].split("</section>")[0]


def test_an_unanswered_follow_up_is_reported_as_assumed_at_its_riskiest(
    owner_client, owner, questionnaire
):
    answers = {**SAFEST, "input_sources": "mixed"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    assert 'data-assumed-count="1"' in html
    assert "Not answered: assumed the riskiest answer" in html
    assert 'data-assumed="input_isolation"' in html
    assert "The text reaches the agent as it is" in html  # the answer it counts as


def test_a_reference_that_binds_only_some_systems_says_why_it_is_cited(
    owner_client, owner, questionnaire
):
    html = report_html(owner_client, make_assessment(owner, answers=SAFEST))
    assert "Human oversight" in html
    assert "Why it is cited: Binding in law only for high-risk AI systems" in html
    # and beside the findings, under the references that apply to the decision itself
    decision = html.split('id="decision-refs-title"')[1].split("</section>")[0]
    assert "EU AI Act Art. 14</strong> Human oversight: Binding in law only" in decision


def test_score_and_rule_agreeing_is_said_plainly(owner_client, owner, questionnaire):
    answers = {**LOWER_TRUST, "task_pattern": "exception_heavy"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    assert 'data-decided-by="score and rule"' in html
    assert "The score and the rules agree on this verdict." in html


def test_each_finding_lists_the_references_it_touches(owner_client, owner, questionnaire):
    answers = {**SAFEST, "input_sources": "untrusted_free_text", "runtime_policy": "static_roles"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    reason = finding(html, "data-rule", "untrusted-free-text-input")
    assert "References:" in reason and ">OWASP ASI01</abbr>" in reason
    assert ">OWASP threat T6</abbr>" in reason
    condition = finding(html, "data-condition", "runtime-policy")
    assert 'data-met="false"' in condition and ">CSF 2.0 PR.AA-05</abbr>" in condition
    met = finding(html, "data-condition", "evidence-capture")
    assert "References:" not in met  # a condition that is met brings nothing in
    area = finding(html, "data-area", "data_trust")
    assert "Data trust" in area and ">MAESTRO L2</abbr>" in area
    # the grouped table says what brings each reference in
    assert re.search(
        r'data-ref="asi:ASI01"><td>ASI01</td><td>Agent Goal Hijack</td><td>reason', html
    )


def test_no_rule_id_appears_in_the_text_a_person_reads(owner_client, owner, questionnaire, model):
    answers = {q.key: q.riskiest.key for q in model.questions if q.core}
    text = visible_text(report_html(owner_client, make_assessment(owner, answers=answers)))
    assert "Reasons for this verdict" in text
    fired = [rule.id for rule in model.binding_rules]
    assert [rule_id for rule_id in fired if rule_id in text] == []


# --- 2026.3: floors, control gaps, optional questions, assumed answers in the plan ------------

# A lower-trust workflow whose approval chain is codified and enforced: the score alone gives
# copilot, the approval-chain floor lifts it to supervised.
ENFORCED_CHAIN = {**LOWER_TRUST, "approval_chain": "codified", "informal_overrides": "none"}


def test_a_floor_that_lifts_the_verdict_is_a_reason_and_says_so(owner_client, owner, questionnaire):
    html = report_html(owner_client, make_assessment(owner, answers=ENFORCED_CHAIN))
    assert 'data-verdict="supervised"' in html
    assert 'data-decided-by="rule"' in html
    text = visible_text(html)
    assert "alone would give copilot, but the reason below lifts it to at least supervised" in text
    floor = finding(html, "data-rule", "approval-chain-enforced")
    assert 'data-floor="supervised"' in floor and "At least Supervised" in floor
    assert "Approvals are codified" in floor and ">SP 800-53 AC-5</abbr>" in floor
    assert "1." in floor  # the floor is why it stands above the score: it comes first
    assert "approval-chain-enforced" not in text


def test_control_gaps_are_listed_where_scope_blocks_the_next_level(
    owner_client, owner, questionnaire
):
    answers = {
        **SAFEST,
        "task_type": "access_approval",
        "environment_tier": "production",
        "credential_lifetime": "standing",
    }
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    path = html.split('id="next-title"')[1].split("</section>")[0]
    assert "This workflow, as scoped, stays at <strong>Supervised</strong>" in path
    assert 'data-control-gaps="standing-credentials condition-ephemeral-credentials"' in path
    assert "Even with a narrower scope, these would still hold it at Supervised:" in path
    assert "(holds it at Supervised)" in path


def test_optional_questions_left_unanswered_count_for_nothing_and_say_so(
    owner_client, owner, questionnaire
):
    html = report_html(owner_client, make_assessment(owner, answers=SAFEST))
    assert 'data-verdict="owner"' in html
    assert 'data-optional-unanswered="approval_signal reserved_decision"' in html
    assert "not answered (optional: counts for nothing)" in html
    assert 'data-optional="reserved_decision"' in html  # and beside the answer itself
    assert "data-assumed-count" not in html  # not assumed at their riskiest


def test_a_plan_step_on_an_unanswered_follow_up_says_what_it_was_counted_as(
    owner_client, owner, questionnaire
):
    html = report_html(owner_client, make_assessment(owner, answers=ENFORCED_CHAIN))
    step = re.search(r'<span data-assumed-change="chain_credentials">[^<]*</span>', html).group(0)
    assert "Not answered (counted as “" in step
    plan = html.split('id="next-title"')[1].split("</section>")[0]
    assert "Not answered (counted as “No, one credential covers several systems”)" in step
    assert "From “No, one credential covers several systems”" not in plan


def test_a_blocking_follow_up_left_unanswered_says_what_it_was_counted_as(
    owner_client, owner, questionnaire
):
    answers = {**SAFEST, "task_type": "access_approval", "environment_tier": "production"}
    html = report_html(owner_client, make_assessment(owner, answers=answers))
    path = html.split('id="next-title"')[1].split("</section>")[0]
    assert "(now: not answered (counted as “" in path


@pytest.mark.parametrize("verdict", sorted(AT_VERDICT))
def test_the_verdict_is_placed_on_each_published_autonomy_scale_with_its_reason(
    owner_client, owner, questionnaire, verdict
):
    html = report_html(owner_client, make_assessment(owner, answers=AT_VERDICT[verdict]))
    assert f'data-verdict="{verdict}"' in html
    table = re.search(r"<section [^>]*data-autonomy-scales.*?</section>", html, re.S).group(0)
    text = markup.unescape(visible_text(table))
    assert "On published autonomy scales" in text
    for placement in autonomy_scales.placements(verdict):
        assert f'data-scale="{placement.scale}" data-level="{placement.level}"' in table
        row = f"{placement.scale_name} {placement.level}: {placement.level_name} {placement.reason}"
        assert row in text


def test_an_incomplete_assessment_is_placed_on_no_scale(owner_client, owner, questionnaire):
    html = report_html(owner_client, make_assessment(owner, answers={"task_type": "provisioning"}))
    assert "data-autonomy-scales" not in html and "On published autonomy scales" not in html
