"""Calibration: realistic IAM workflows whose verdicts a reviewer wrote from the reference
article and DESIGN.md before running the engine (tests/calibration/workflows.yaml).

Each workflow must get its expected verdict and fire the rules named for it, and every verdict
below bounded ownership must come with a usable plan: either answer changes that reach the next
level, or the scope questions that stand in the way. The suite as a whole must exercise every
rule of the bank, the four ownership conditions included.

No database: the shipped bank file is parsed and compiled directly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from assessor import bank, scoring

WORKFLOWS_FILE = Path(__file__).with_name("workflows.yaml")
ALL_WORKFLOWS: list[dict] = yaml.safe_load(WORKFLOWS_FILE.read_text(encoding="utf-8"))["workflows"]
MODEL = bank.build_model(bank.load_bank_file())


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


# A workflow written for a later questionnaire uses keys the shipped bank may not have yet.
WORKFLOWS = [
    w for w in ALL_WORKFLOWS if _version(w.get("since", "2026.2")) <= _version(MODEL.version)
]
RANK = scoring.VERDICT_RANK

# Cases where the engine disagreed with the reviewer's expectation would be listed here as
# strict xfails, each with its reason, until the bank or the engine is fixed. None are open.
KNOWN_DISAGREEMENTS: dict[str, str] = {}


def _param(workflow: dict, *, strict_disagreement: bool = False):
    marks = ()
    reason = KNOWN_DISAGREEMENTS.get(workflow["id"])
    if reason and strict_disagreement:
        marks = (pytest.mark.xfail(strict=True, reason=reason),)
    return pytest.param(workflow, id=workflow["id"], marks=marks)


ALL = [_param(w) for w in WORKFLOWS]
JUDGED = [_param(w, strict_disagreement=True) for w in WORKFLOWS]


def _evaluate(workflow: dict) -> scoring.Result:
    return scoring.evaluate(MODEL, workflow["answers"])


def _shown_follow_ups(answers: dict) -> set[str]:
    """Follow-ups whose show-if condition holds for these answers."""
    return {
        q.key
        for q in scoring.visible_questions(MODEL, answers)
        if not q.core and q.show_if is not None
    }


# --- the file itself --------------------------------------------------------------------------


def test_suite_is_large_enough_and_ids_are_unique_slugs():
    ids = [w["id"] for w in ALL_WORKFLOWS]
    assert len(ids) >= 32
    assert len(ids) == len(set(ids)), "duplicate workflow ids"
    for workflow_id in ids:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", workflow_id), workflow_id


@pytest.mark.parametrize("workflow", ALL)
def test_entry_is_well_formed(workflow):
    required = {"id", "description", "answers", "expected", "why", "expect_rules"}
    assert required <= workflow.keys()
    assert set(workflow) <= required | {"decided_by", "since"}, "unknown field"
    assert workflow["expected"] in scoring.VERDICTS
    sentences = re.findall(r"[.!?](?:\s|$)", workflow["description"].strip())
    assert 2 <= len(sentences) <= 3, "a description is two or three sentences"
    assert workflow["why"].strip()
    known_rules = {rule.id for rule in MODEL.binding_rules}
    assert set(workflow["expect_rules"]) <= known_rules, "unknown rule id"
    assert workflow.get("decided_by", "score") in ("score", "rule", "score and rule")


@pytest.mark.parametrize("workflow", ALL)
def test_answers_every_core_question_with_a_known_choice(workflow):
    answers = workflow["answers"]
    assert scoring.check_answers(MODEL, answers) == []
    missing = [key for key in MODEL.core_keys if key not in answers]
    assert missing == []
    for key in MODEL.core_keys:
        assert answers[key] in MODEL.question_map[key].choice_map
    # A follow-up is answered only where the workflow shows it.
    answered_follow_ups = {k for k in answers if not MODEL.question_map[k].core}
    assert answered_follow_ups <= _shown_follow_ups(answers)


# --- verdicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", JUDGED)
def test_verdict_matches_the_reviewer(workflow):
    result = _evaluate(workflow)
    fired = [rule.id for rule in result.rules_fired]
    detail = f"score {result.score} ({result.score_verdict}), fired {fired}"
    assert result.complete
    assert result.verdict == workflow["expected"], detail
    missing_rules = [r for r in workflow["expect_rules"] if r not in fired]
    assert missing_rules == [], detail
    if "decided_by" in workflow:
        assert result.decided_by == workflow["decided_by"], detail


@pytest.mark.parametrize("workflow", ALL)
def test_shown_follow_ups_left_out_are_assumed_at_their_riskiest(workflow):
    answers = workflow["answers"]
    result = _evaluate(workflow)
    left_out = _shown_follow_ups(answers) - answers.keys()
    assert set(result.assumed) == left_out
    for key in left_out:
        riskiest = MODEL.question_map[key].riskiest.key
        with_riskiest = scoring.evaluate_verdict(MODEL, {**answers, key: riskiest})
        assert result.verdict == with_riskiest
        for choice in MODEL.question_map[key].choice_keys:
            answered = scoring.evaluate_verdict(MODEL, {**answers, key: choice})
            assert RANK[answered] >= RANK[result.verdict], "skipping must never pay"


@pytest.mark.parametrize("workflow", ALL)
def test_below_owner_comes_with_a_plan_or_the_scope_that_blocks_it(workflow):
    result = _evaluate(workflow)
    if result.verdict == "owner":
        assert result.next_level == ()
        assert result.next_level_target is None
        return
    target = result.next_level_target
    assert target == scoring.VERDICTS[RANK[result.verdict] + 1]
    if result.next_level:
        assert result.next_level_blocked_by == ()
        changed = dict(workflow["answers"])
        for change in result.next_level:
            assert not MODEL.question_map[change.question].scope, change.question
            assert change.to_choice != change.from_choice
            changed[change.question] = change.to_choice
        reached = scoring.evaluate(MODEL, changed).verdict
        assert RANK[reached] >= RANK[target], f"plan reaches {reached}, not {target}"
    else:
        blocked = result.next_level_blocked_by
        assert blocked, "neither a plan nor the scope answers that block one"
        assert all(MODEL.question_map[key].scope for key in blocked), blocked


# --- the suite as a whole ---------------------------------------------------------------------


def test_suite_covers_every_rule_of_the_bank():
    """Every rule, condition rules included, is expected to fire in at least one workflow."""
    expected = {rule for w in WORKFLOWS for rule in w["expect_rules"]}
    all_rules = [rule.id for rule in MODEL.binding_rules]
    uncovered = [rule_id for rule_id in all_rules if rule_id not in expected]
    assert uncovered == []
    assert {f"condition-{c.id}" for c in MODEL.ownership_conditions} <= expected


def test_every_rule_fires_somewhere_in_the_suite():
    """Coverage by the engine's own account, not only by what the file claims."""
    fired = {rule.id for w in WORKFLOWS for rule in _evaluate(w).rules_fired}
    assert [rule.id for rule in MODEL.binding_rules if rule.id not in fired] == []


def test_suite_keeps_its_tricky_shapes():
    """The shapes the calibration exists for, recomputed from the engine's results."""
    by_id = {w["id"]: w for w in WORKFLOWS}
    copilot_rules = {rule.id for rule in MODEL.binding_rules if rule.cap == "copilot"}
    single_flaw: set[str] = set()
    score_only_copilot = []
    for workflow in WORKFLOWS:
        if workflow["id"] in KNOWN_DISAGREEMENTS:
            continue
        result = _evaluate(workflow)
        capping = [r.id for r in result.rules_fired if r.cap == "copilot"]
        if result.verdict == "copilot" and len(capping) == 1:
            single_flaw.update(capping)
        if result.verdict == "copilot" and not capping:
            score_only_copilot.append(workflow["id"])
    # One workflow per copilot rule that is strong everywhere but that one fatal flaw.
    assert copilot_rules - {"tool-chain-without-policy"} <= single_flaw
    # Middling everywhere, no fatal flaw: copilot through the score alone.
    assert score_only_copilot
    # The named cases of the brief are present, with the verdict a reviewer expects.
    named = {
        "nonprod-secret-rotation-reference": "owner",
        "textbook-review-revocations-uneven-data": "supervised",
        "payments-gateway-key-rotation": "supervised",
        "self-approving-agent": "copilot",
        "break-glass-emergency-grant": "supervised",
        "leaked-key-emergency-revocation": "supervised",
        "helpdesk-mfa-reset": "supervised",
        "per-run-token-hours-no-revocation": "supervised",
        "person-started-person-checked-sandbox-accounts": "supervised",
        "shared-service-account-provisioning": "supervised",
        "prod-access-approval": "supervised",
        "shared-service-account-attribution-unanswered": "supervised",
    }
    for workflow_id, verdict in named.items():
        assert by_id[workflow_id]["expected"] == verdict, workflow_id


def test_reference_owner_case_has_every_condition_met():
    result = _evaluate(next(w for w in WORKFLOWS if w["id"] == "nonprod-secret-rotation-reference"))
    assert result.verdict == "owner"
    assert all(condition.met for condition in result.conditions)
    assert result.rules_fired == ()
