"""Calibration: realistic IAM workflows whose verdicts a reviewer wrote from the reference
article and DESIGN.md before running the engine (tests/calibration/workflows.yaml).

Each workflow must get its expected verdict and fire the rules named for it, and every verdict
below bounded ownership must come with a usable plan: either answer changes that reach the next
level, or the scope questions that stand in the way (and then the control gaps that a narrower
scope would leave). The suite as a whole must exercise every rule and floor of the bank, the
four ownership conditions included, and every fact questionnaire 2026.3 adds.

The workflows written for 2026.2 (no `since`) are checked twice: against the shipped bank, where
they keep their verdicts, and against the archived 2026.2 bank that records pinned to it are
still scored against.

No database: the bank files are parsed and compiled directly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from assessor import bank, engine

WORKFLOWS_FILE = Path(__file__).with_name("workflows.yaml")
ALL_WORKFLOWS: list[dict] = yaml.safe_load(WORKFLOWS_FILE.read_text(encoding="utf-8"))["workflows"]
MODEL = bank.build_model(bank.load_bank_file())
MODEL_2026_2 = bank.build_model(bank.load_bank_file(bank.BANK_DIR / "2026.2.yaml"))


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


# A workflow written for a later questionnaire uses keys the shipped bank may not have yet.
WORKFLOWS = [
    w for w in ALL_WORKFLOWS if _version(w.get("since", "2026.2")) <= _version(MODEL.version)
]
WORKFLOWS_2026_2 = [w for w in ALL_WORKFLOWS if "since" not in w]
WORKFLOWS_2026_3 = [w for w in ALL_WORKFLOWS if w.get("since") == "2026.3"]
RANK = engine.VERDICT_RANK

# Where 2026.3 replaced a rule, the id the 2026.2 bank gives it (/work/spec-2026.3.md).
ID_IN_2026_2 = {"tool-chain-weak-link": "tool-chain-identity-ticketing-cloud"}
# Floors 2026.2 does not have: they are not expected of the archived bank.
NEW_IN_2026_3 = {"approval-chain-enforced"}

# What the workflow is rather than its controls: a plan never changes one (DESIGN.md, 2026.3).
SCOPE = {
    "task_type",
    "environment_tier",
    "task_pattern",
    "business_impact",
    "tool_chaining",
    "identities_affected",
}

# Cases where the engine disagreed with the reviewer's expectation are listed here as strict
# xfails, each with its reason, until the bank or the engine is fixed. None are open: the 33
# workflows written for 2026.3 before its engine existed all agreed with it on first run.
KNOWN_DISAGREEMENTS: dict[str, str] = {}


def _param(workflow: dict, *, strict_disagreement: bool = False):
    marks = ()
    reason = KNOWN_DISAGREEMENTS.get(workflow["id"])
    if reason and strict_disagreement:
        marks = (pytest.mark.xfail(strict=True, reason=reason),)
    return pytest.param(workflow, id=workflow["id"], marks=marks)


ALL = [_param(w) for w in WORKFLOWS]
JUDGED = [_param(w, strict_disagreement=True) for w in WORKFLOWS]
JUDGED_2026_2 = [_param(w, strict_disagreement=True) for w in WORKFLOWS_2026_2]


def _evaluate(workflow: dict) -> engine.Result:
    return engine.evaluate(MODEL, workflow["answers"])


def _rule_ids(model: engine.ScoringModel) -> set[str]:
    """Every rule id of a bank: caps, ownership conditions and floors."""
    return {rule.id for rule in model.binding_rules} | {floor.id for floor in model.floors}


def _fired(result: engine.Result) -> list[str]:
    return [rule.id for rule in result.rules_fired] + [f.id for f in result.floors_applied]


def _shown(answers: dict, *, optional: bool) -> set[str]:
    """Non-core questions these answers show: follow-ups, or (optional) optional questions."""
    return {
        q.key
        for q in engine.visible_questions(MODEL, answers)
        if not q.core and q.optional == optional and (optional or q.show_if is not None)
    }


# --- the file itself --------------------------------------------------------------------------


def test_suite_is_large_enough_and_ids_are_unique_slugs():
    ids = [w["id"] for w in ALL_WORKFLOWS]
    assert len(WORKFLOWS_2026_2) >= 32
    assert len(WORKFLOWS_2026_3) >= 24
    assert len(ids) == len(set(ids)), "duplicate workflow ids"
    for workflow_id in ids:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", workflow_id), workflow_id


@pytest.mark.parametrize("workflow", ALL)
def test_entry_is_well_formed(workflow):
    required = {"id", "description", "answers", "expected", "why", "expect_rules"}
    assert required <= workflow.keys()
    assert set(workflow) <= required | {"decided_by", "since"}, "unknown field"
    assert workflow.get("since", "2026.3") == "2026.3"
    assert workflow["expected"] in engine.VERDICTS
    sentences = re.findall(r"[.!?](?:\s|$)", workflow["description"].strip())
    assert 2 <= len(sentences) <= 3, "a description is two or three sentences"
    assert workflow["why"].strip()
    assert set(workflow["expect_rules"]) <= _rule_ids(MODEL), "unknown rule id"
    assert workflow.get("decided_by", "score") in ("score", "rule", "score and rule")


@pytest.mark.parametrize("workflow", ALL)
def test_answers_every_core_question_with_a_known_choice(workflow):
    answers = workflow["answers"]
    assert engine.check_answers(MODEL, answers) == []
    assert engine.check_visibility(MODEL, answers) == []
    missing = [key for key in MODEL.core_keys if key not in answers]
    assert missing == []
    for key in MODEL.core_keys:
        assert answers[key] in MODEL.question_map[key].choice_map
    # A follow-up or optional question is answered only where the workflow shows it.
    answered = {k for k in answers if not MODEL.question_map[k].core}
    assert answered <= _shown(answers, optional=False) | _shown(answers, optional=True)


def test_every_fact_2026_3_adds_is_answered_in_some_workflow():
    """Each choice 2026.3 adds, on a new question or an old one, is chosen somewhere."""
    old = MODEL_2026_2.question_map
    added = {
        (q.key, choice)
        for q in MODEL.questions
        for choice in q.choice_keys
        if q.key not in old or choice not in old[q.key].choice_map
    }
    chosen = {(k, v) for w in WORKFLOWS_2026_3 for k, v in w["answers"].items()}
    assert added
    assert sorted(added - chosen) == []


# --- verdicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", JUDGED)
def test_verdict_matches_the_reviewer(workflow):
    result = _evaluate(workflow)
    fired = _fired(result)
    detail = f"score {result.score} ({result.score_verdict}), fired {fired}"
    assert result.complete
    assert result.verdict == workflow["expected"], detail
    missing_rules = [r for r in workflow["expect_rules"] if r not in fired]
    assert missing_rules == [], detail
    if "decided_by" in workflow:
        assert result.decided_by == workflow["decided_by"], detail


@pytest.mark.parametrize("workflow", JUDGED_2026_2)
def test_2026_2_workflow_keeps_its_verdict_on_the_archived_bank(workflow):
    """Records pinned to 2026.2 are scored against its archived bank: the reviewer's verdicts
    and rules (under their 2026.2 ids) hold there, and 2026.3 scores the same answers the same
    (score and every dimension) and keeps the verdict."""
    answers = workflow["answers"]
    assert engine.check_answers(MODEL_2026_2, answers) == []
    old = engine.evaluate(MODEL_2026_2, answers)
    fired = _fired(old)
    detail = f"score {old.score} ({old.score_verdict}), fired {fired}"
    assert old.verdict == workflow["expected"], detail
    expected_rules = [
        ID_IN_2026_2.get(rule, rule)
        for rule in workflow["expect_rules"]
        if rule not in NEW_IN_2026_3
    ]
    assert [r for r in expected_rules if r not in fired] == [], detail
    if "decided_by" in workflow:
        assert old.decided_by == workflow["decided_by"], detail
    new = _evaluate(workflow)
    assert new.score == pytest.approx(old.score)
    assert new.dimensions == pytest.approx(old.dimensions)
    assert new.verdict == old.verdict


@pytest.mark.parametrize("workflow", ALL)
def test_shown_follow_ups_left_out_are_assumed_at_their_riskiest(workflow):
    answers = workflow["answers"]
    result = _evaluate(workflow)
    left_out = _shown(answers, optional=False) - answers.keys()
    assert set(result.assumed) == left_out
    for key in left_out:
        riskiest = MODEL.question_map[key].riskiest.key
        with_riskiest = engine.evaluate_verdict(MODEL, {**answers, key: riskiest})
        assert result.verdict == with_riskiest
        for choice in MODEL.question_map[key].choice_keys:
            answered = engine.evaluate_verdict(MODEL, {**answers, key: choice})
            assert RANK[answered] >= RANK[result.verdict], "skipping must never pay"


@pytest.mark.parametrize("workflow", ALL)
def test_optional_questions_left_out_count_for_nothing(workflow):
    """A shown optional question left out is listed, not assumed, and gives what its safe
    answer gives."""
    answers = workflow["answers"]
    result = _evaluate(workflow)
    left_out = _shown(answers, optional=True) - answers.keys()
    assert set(result.optional_unanswered) == left_out
    for key in left_out:
        assert key not in result.assumed
        safe = engine.evaluate(MODEL, {**answers, key: MODEL.question_map[key].safest.key})
        assert (safe.verdict, safe.score) == (result.verdict, result.score)
        assert _fired(safe) == _fired(result)


@pytest.mark.parametrize("workflow", ALL)
def test_below_owner_comes_with_a_plan_or_the_scope_that_blocks_it(workflow):
    result = _evaluate(workflow)
    if result.verdict == "owner":
        assert result.next_level == ()
        assert result.next_level_target is None
        return
    target = result.next_level_target
    assert target == engine.VERDICTS[RANK[result.verdict] + 1]
    if result.next_level:
        assert result.next_level_blocked_by == ()
        assert result.control_gaps == ()
        changed = dict(workflow["answers"])
        for change in result.next_level:
            assert change.question not in SCOPE, change.question
            assert not MODEL.question_map[change.question].scope, change.question
            assert change.to_choice != change.from_choice
            changed[change.question] = change.to_choice
        reached = engine.evaluate(MODEL, changed).verdict
        assert RANK[reached] >= RANK[target], f"plan reaches {reached}, not {target}"
    else:
        blocked = result.next_level_blocked_by
        assert blocked, "neither a plan nor the scope answers that block one"
        assert all(MODEL.question_map[key].scope for key in blocked), blocked
        # The control gaps: every fired cap below the target that no scope answer holds.
        rules = {rule.id: rule for rule in MODEL.binding_rules}
        gaps = [
            rule.id
            for rule in result.rules_fired
            if RANK[rule.cap] < RANK[target]
            and not rules[rule.id].when.questions() & MODEL.scope_keys
        ]
        assert [gap.id for gap in result.control_gaps] == gaps


def test_every_bank_treats_chaining_and_reach_as_scope():
    for model in (MODEL, MODEL_2026_2):
        assert model.scope_keys >= SCOPE, model.version


# --- the suite as a whole ---------------------------------------------------------------------


def test_suite_covers_every_rule_of_the_bank():
    """Every rule and floor, condition rules included, is expected to fire in some workflow."""
    expected = {rule for w in WORKFLOWS for rule in w["expect_rules"]}
    uncovered = sorted(_rule_ids(MODEL) - expected)
    assert uncovered == []
    assert {f"condition-{c.id}" for c in MODEL.ownership_conditions} <= expected


def test_every_rule_fires_somewhere_in_the_suite():
    """Coverage by the engine's own account, not only by what the file claims."""
    fired = {rule for w in WORKFLOWS for rule in _fired(_evaluate(w))}
    assert sorted(_rule_ids(MODEL) - fired) == []


def test_no_plan_in_the_suite_changes_a_scope_question():
    """Issue 21's "done when": no next-level plan of any calibration workflow changes scope."""
    for workflow in WORKFLOWS:
        changed = {change.question for change in _evaluate(workflow).next_level}
        assert not changed & (SCOPE | MODEL.scope_keys), workflow["id"]


def test_suite_keeps_its_tricky_shapes():
    """The shapes the calibration exists for, recomputed from the engine's results."""
    by_id = {w["id"]: w for w in WORKFLOWS}
    copilot_rules = {rule.id for rule in MODEL.binding_rules if rule.cap == "copilot"}
    single_flaw: set[str] = set()
    score_only_copilot = []
    floored = []
    blocked_with_gaps = []
    for workflow in WORKFLOWS:
        if workflow["id"] in KNOWN_DISAGREEMENTS:
            continue
        result = _evaluate(workflow)
        capping = [r.id for r in result.rules_fired if r.cap == "copilot"]
        if result.verdict == "copilot" and len(capping) == 1:
            single_flaw.update(capping)
        if result.verdict == "copilot" and not capping:
            score_only_copilot.append(workflow["id"])
        if result.score_verdict == "copilot" and result.verdict == "supervised":
            floored.append(workflow["id"])
        if result.next_level_blocked_by and result.control_gaps:
            blocked_with_gaps.append(workflow["id"])
    # One workflow per copilot rule that is strong everywhere but that one fatal flaw.
    assert copilot_rules - {"tool-chain-without-policy"} <= single_flaw
    # Middling everywhere, no fatal flaw and no enforced approval chain: copilot by the score.
    assert score_only_copilot
    # An enforced approval chain with many gaps: the floor lifts the score's copilot.
    assert floored
    # Scope blocks the next level and controls would still hold it: the gaps are listed.
    assert "hospital-night-joiners-strong-chain-day-stop" in blocked_with_gaps
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
        # 2026.3
        "cicd-federated-token-reporting-db-rotation": "owner",
        "research-project-onboarding-strong-chain": "owner",
        "insurer-leaver-disable-only-connector": "owner",
        "university-term-end-bulk-disable-capped-halt": "owner",
        "plant-maintenance-window-admin-grant-cab": "owner",
        "plant-shift-roles-mixed-credentials": "supervised",
        "hospital-privacy-breach-triage-reserved": "supervised",
        "municipality-provisioning-enforced-chain-weak-controls": "supervised",
        "plant-domain-groups-enforced-chain-brittle-legacy": "copilot",
        "ward-kiosk-resets-on-shared-station-login": "copilot",
    }
    for workflow_id, verdict in named.items():
        assert by_id[workflow_id]["expected"] == verdict, workflow_id


def test_reference_owner_case_has_every_condition_met():
    result = _evaluate(next(w for w in WORKFLOWS if w["id"] == "nonprod-secret-rotation-reference"))
    assert result.verdict == "owner"
    assert all(condition.met for condition in result.conditions)
    assert result.rules_fired == ()
