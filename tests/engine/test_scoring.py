"""The scoring engine, on the shipped bank and on small hand-made models. No database."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessor import engine
from assessor.engine import AnswerError, evaluate
from assessor.engine import plan as planning
from assessor.engine import score as scoring
from tests.builders import LOWER_TRUST, MIXED_PLAN

# The rules table of DESIGN.md, transcribed here on purpose: if the shipped bank drifts from
# the design, these cases fail. One risky answer (all others safest) -> the cap the table gives.
DESIGN_CAPS = [
    ({"approval_chain": "unclear"}, "copilot"),
    ({"informal_overrides": "common"}, "copilot"),
    ({"shared_accounts": "unmanaged"}, "copilot"),
    ({"legacy_iam": "brittle_legacy"}, "copilot"),
    ({"task_pattern": "exception_heavy"}, "copilot"),
    ({"evidence_capture": "none"}, "copilot"),
    ({"agent_identity": "human_credentials"}, "copilot"),
    ({"tool_chaining": "identity_ticketing_cloud", "runtime_policy": "static_roles"}, "copilot"),
    ({"tool_chaining": "identity_ticketing_cloud", "runtime_policy": "none"}, "copilot"),
    ({"data_quality": "uneven"}, "supervised"),
    ({"privilege_scope": "broad"}, "supervised"),
    ({"identities_affected": "hundreds_plus"}, "supervised"),
    ({"reversibility": "irreversible"}, "supervised"),
    ({"credential_lifetime": "standing"}, "supervised"),
    ({"runtime_policy": "static_roles"}, "supervised"),
    ({"runtime_policy": "none"}, "supervised"),
    ({"trigger_defined": "ad_hoc"}, "supervised"),
    ({"completion_criteria": "none"}, "supervised"),
    ({"evidence_capture": "partial"}, "supervised"),
    ({"revocation": "manual"}, "supervised"),
    ({"revocation": "none"}, "supervised"),
    ({"tool_chaining": "identity_ticketing_cloud"}, "supervised"),
    ({"input_sources": "untrusted_free_text"}, "supervised"),
    # questionnaire 2026.2
    ({"self_approval": "yes"}, "copilot"),
    ({"self_approval": "no_by_convention"}, "supervised"),
    ({"business_impact": "customer_or_regulatory"}, "supervised"),
    ({"business_impact": "organisation_wide"}, "supervised"),
    ({"task_type": "access_approval", "environment_tier": "production"}, "supervised"),
    ({"task_type": "access_approval", "environment_tier": "mixed"}, "supervised"),
    ({"agent_identity": "shared_service_account"}, "supervised"),
    # each of the four conditions for ownership not met caps at supervised on its own
    ({"trigger_defined": "documented"}, "supervised"),
    ({"completion_criteria": "documented"}, "supervised"),
    ({"credential_lifetime": "short_lived"}, "supervised"),
    ({"credential_lifetime": "fixed_ttl"}, "supervised"),
    ({"revocation": "expires_at_ttl", "credential_lifetime": "per_run_hours"}, "supervised"),
    ({"evidence_capture": "platform_audit_logs"}, "supervised"),
    # questionnaire 2026.3
    ({"agent_identity": "shared_device_account"}, "copilot"),
    ({"tool_chaining": "three_or_more_systems", "runtime_policy": "static_roles"}, "copilot"),
    ({"tool_chaining": "three_or_more_systems"}, "supervised"),  # weak links assumed
    ({"kill_switch": "tested_not_on_call"}, "supervised"),
    ({"reserved_decision": "reserved"}, "supervised"),
    ({"approval_signal": "free_text"}, "supervised"),
    ({"input_sources": "mixed", "input_isolation": "validated_text_steers"}, "supervised"),
    (
        {"task_type": "access_approval", "environment_tier": "non_production_with_production_data"},
        "supervised",
    ),
    ({"revocation": "lapses_within_hour", "credential_lifetime": "short_lived"}, "supervised"),
]

# The four conditions of DESIGN.md, each broken by one answer, with the rule that must fire.
CONDITION_BREAKS = [
    ({"trigger_defined": "documented"}, "condition-trigger-and-completion"),
    ({"completion_criteria": "documented"}, "condition-trigger-and-completion"),
    ({"runtime_policy": "static_roles"}, "condition-runtime-policy"),
    ({"credential_lifetime": "short_lived"}, "condition-ephemeral-credentials"),
    ({"revocation": "manual"}, "condition-ephemeral-credentials"),
    ({"evidence_capture": "platform_audit_logs"}, "condition-evidence-capture"),
]


def answers_with(safe_answers, **changes):
    return {**safe_answers, **changes}


def test_every_answer_at_its_safest_is_bounded_ownership(model, safe_answers):
    result = evaluate(model, safe_answers)
    assert result.verdict == "owner"
    assert result.score == 100.0
    assert result.rules_fired == ()
    assert result.next_level == ()
    assert result.next_level_target is None
    assert result.assumed == ()
    assert all(condition.met for condition in result.conditions)


@pytest.mark.parametrize(("broken", "rule_id"), CONDITION_BREAKS, ids=lambda v: str(v))
def test_a_condition_for_ownership_not_met_caps_at_supervised(model, safe_answers, broken, rule_id):
    result = evaluate(model, {**safe_answers, **broken})
    assert result.verdict == "supervised"
    assert result.score_verdict == "owner"  # the score alone would have allowed it
    fired = {rule.id: rule for rule in result.rules_fired}
    assert fired[rule_id].cap == "supervised"
    assert "requires" in fired[rule_id].reason  # a reason a board member can read
    unmet = [c.id for c in result.conditions if not c.met]
    assert rule_id == f"condition-{unmet[0]}" and len(unmet) == 1


def test_a_per_run_token_that_lives_for_hours_without_revocation_is_not_ownership(
    model, safe_answers
):
    # The case the 2026.1 bank got wrong: everything strong, but the token outlives the run.
    answers = {**safe_answers, "credential_lifetime": "short_lived", "revocation": "manual"}
    result = evaluate(model, answers)
    assert result.verdict == "supervised"
    assert "condition-ephemeral-credentials" in {r.id for r in result.rules_fired}


def test_payments_rotation_with_excellent_controls_stays_supervised_as_scoped(model, safe_answers):
    answers = {
        **safe_answers,
        "environment_tier": "production",
        "business_impact": "customer_or_regulatory",
    }
    result = evaluate(model, answers)
    assert result.verdict == "supervised"
    assert "high-business-impact" in {r.id for r in result.rules_fired}
    # No change of controls lifts it: the plan names the scope instead of proposing one.
    assert result.next_level == ()
    assert result.next_level_blocked_by == ("business_impact",)


def test_a_self_approving_agent_is_a_copilot(model, safe_answers):
    result = evaluate(model, {**safe_answers, "self_approval": "yes"})
    assert result.verdict == "copilot"
    assert [r.id for r in result.rules_fired] == ["self-approval-possible"]


@pytest.mark.parametrize(("risky", "cap"), DESIGN_CAPS, ids=lambda v: str(v))
def test_one_risky_answer_caps_the_verdict_as_the_design_says(model, safe_answers, risky, cap):
    result = evaluate(model, {**safe_answers, **risky})
    assert result.verdict == cap
    assert result.decided_by == "rule"
    assert result.score_verdict == "owner"  # the score alone would have allowed ownership
    assert result.rules_fired, "a capped verdict must name the rule that capped it"
    assert min(rule.cap for rule in result.rules_fired) == cap


SHIPPED_RULES = 38  # 34 rules of the bank and one per condition for ownership


@pytest.mark.parametrize("rule_index", range(SHIPPED_RULES))
def test_every_shipped_rule_fires_on_its_own_condition(model, safe_answers, rule_index):
    rule = model.binding_rules[rule_index]
    answers = dict(safe_answers)
    for key, choice in _first_match(rule.when, model).items():
        answers[key] = choice
    result = evaluate(model, answers)
    assert rule.id in [fired.id for fired in result.rules_fired]
    assert engine.VERDICT_RANK[result.verdict] <= engine.VERDICT_RANK[rule.cap]


def test_the_bank_has_as_many_rules_as_the_parametrised_test_covers(model):
    assert len(model.binding_rules) == SHIPPED_RULES
    assert len(model.rules) == SHIPPED_RULES - len(model.ownership_conditions) == 34
    assert [floor.id for floor in model.floors] == ["approval-chain-enforced"]


def _first_match(condition, model):
    """Answers that make a condition true, changing as few questions as possible."""
    if condition.op == "any":
        return _first_match(condition.children[0], model)
    if condition.op == "all":
        merged = {}
        for child in condition.children:
            # An earlier leaf's answer wins over what a later follow-up needs to be shown.
            merged = {**_first_match(child, model), **merged}
        return merged
    question = model.question_map[condition.question]
    shown = _first_match(question.show_if, model) if question.show_if else {}
    for choice in question.choices:
        if (choice.key in condition.choices) == (condition.op == "in"):
            return {**shown, question.key: choice.key}
    raise AssertionError(f"no choice satisfies {condition}")


def test_textbook_supervised_case_is_supervised_not_copilot(model, safe_answers):
    # Uneven data and a high blast radius, with a clear approval chain, provable completion
    # and sound credentials: the AI drafts, a person approves.
    answers = answers_with(
        safe_answers,
        task_type="provisioning",
        data_quality="uneven",
        privilege_scope="broad",
        identities_affected="hundreds_plus",
    )
    result = evaluate(model, answers)
    assert result.verdict == "supervised"
    assert result.decided_by == "rule"
    assert {r.id for r in result.rules_fired} == {"data-quality-uneven", "high-blast-radius"}


def test_lower_trust_environment_falls_to_copilot_through_the_score_alone(model):
    result = evaluate(model, LOWER_TRUST)
    # Supervised caps fire (conditions for ownership are not met), but no rule caps at
    # copilot: the score takes it there.
    assert result.rules_fired
    assert all(rule.cap == "supervised" for rule in result.rules_fired)
    assert result.verdict == "copilot"
    assert result.decided_by == "score"
    assert result.score < model.thresholds["supervised"]


def test_dimensions_are_reported_on_0_to_100(model):
    result = evaluate(model, LOWER_TRUST)
    assert set(result.dimensions) == {d.key for d in model.dimensions}
    assert all(0 <= value <= 100 for value in result.dimensions.values())
    # approval: documented_manual (1 of 2), no_enforced (2 of 2), rare_logged (1 of 2): 4 of 6
    assert result.dimensions["approval"] == 66.7


# --- small hand-made models: thresholds, normalisation, visibility -------------------------


def tiny_model(thresholds=None, weight_scale=1.0, dimension_weights=(1.0, 1.0)):
    """Two dimensions, three questions, one follow-up, one rule."""
    c = engine.Choice
    questions = (
        engine.Question(
            "a", "A?", (c("good", "Good", {"x": 2 * weight_scale}), c("bad", "Bad", {"x": 0}))
        ),
        engine.Question("b", "B?", (c("good", "Good", {"y": 4}), c("bad", "Bad", {"y": 0}))),
        engine.Question(
            "c", "C?", (c("good", "Good", {"y": 1}), c("meh", "Meh", {"y": 0.5}), c("bad", "", {}))
        ),
        engine.Question(
            "follow",
            "Follow-up?",
            (c("good", "Good", {"x": 1}), c("bad", "Bad", {"x": 0})),
            core=False,
            show_if=engine.Condition("in", "a", frozenset({"bad"})),
        ),
    )
    return engine.ScoringModel(
        version="t",
        dimensions=(
            engine.Dimension("x", "X", dimension_weights[0]),
            engine.Dimension("y", "Y", dimension_weights[1]),
        ),
        questions=questions,
        rules=(
            engine.Rule(
                "c-bad", "supervised", "C is bad", engine.Condition("in", "c", frozenset({"bad"}))
            ),
        ),
        thresholds=thresholds or {"supervised": 40.0, "owner": 80.0},
    )


def test_score_is_the_weighted_mean_of_normalised_dimensions():
    model = tiny_model(dimension_weights=(1.0, 3.0))
    result = evaluate(model, {"a": "good", "b": "bad", "c": "good"})
    assert result.dimensions == {"x": 100.0, "y": 20.0}  # y: 1 of 5 points
    assert result.score == 40.0  # (1*100 + 3*20) / 4


def test_scaling_a_question_weight_changes_its_effect():
    # A peer tool's weights had no effect because the maximum was not scaled with them.
    # With a follow-up answered well, the heavier first question weighs more against it.
    plain = evaluate(tiny_model(), {"a": "bad", "follow": "good", "b": "good", "c": "good"})
    heavier = evaluate(
        tiny_model(weight_scale=3.0), {"a": "bad", "follow": "good", "b": "good", "c": "good"}
    )
    assert plain.dimensions["x"] == pytest.approx(33.3, abs=0.1)  # 1 of 3
    assert heavier.dimensions["x"] == pytest.approx(14.3, abs=0.1)  # 1 of 7


@pytest.mark.parametrize(
    ("supervised", "owner", "expected"),
    [
        (60.0, 80.0, "supervised"),  # score exactly at the supervised threshold
        (60.1, 80.0, "copilot"),  # a tenth below
        (40.0, 60.0, "owner"),  # exactly at the owner threshold
        (40.0, 60.1, "supervised"),
    ],
)
def test_threshold_edges(supervised, owner, expected):
    model = tiny_model({"supervised": supervised, "owner": owner})
    # x = 100, y = 1 of 5 -> 20; mean 60.0 exactly
    result = evaluate(model, {"a": "good", "b": "bad", "c": "good"})
    assert result.score == 60.0
    assert result.verdict == expected
    assert result.decided_by == "score"


def test_a_hidden_follow_up_is_neither_required_nor_scored():
    model = tiny_model()
    base = {"a": "good", "b": "good", "c": "good"}
    hidden = evaluate(model, {**base, "follow": "bad"})  # follow-up only shows when a=bad
    assert hidden.score == evaluate(model, base).score == 100.0
    assert "follow" not in hidden.answers
    assert hidden.complete


def test_a_shown_follow_up_left_unanswered_counts_as_its_riskiest_choice():
    model = tiny_model()
    base = {"a": "bad", "b": "good", "c": "good"}
    skipped = evaluate(model, base)
    answered_badly = evaluate(model, {**base, "follow": "bad"})
    assert skipped.assumed == ("follow",)
    assert answered_badly.assumed == ()
    assert skipped.dimensions == answered_badly.dimensions  # x: 0 of 3, not 0 of 2
    assert skipped.score == answered_badly.score
    assert evaluate(model, {**base, "follow": "good"}).dimensions["x"] == pytest.approx(33.3, 0.01)
    assert skipped.complete  # follow-ups never make an assessment incomplete
    assert skipped.to_dict()["assumed"] == ["follow"]


def test_skipping_a_shown_follow_up_never_pays(model, safe_answers):
    # With free text among the inputs, leaving its follow-up out must not beat an honest answer.
    base = {**safe_answers, "input_sources": "mixed"}
    skipped = evaluate(model, base)
    honest = evaluate(model, {**base, "input_isolation": "passed_through"})
    assert skipped.assumed == ("input_isolation",)
    assert skipped.score == honest.score
    assert skipped.verdict == honest.verdict


def test_a_signed_off_snapshot_from_before_2026_2_is_read_as_it_was_signed(safe_answers):
    # A record submitted or approved under 2026.1 carries a snapshot of the bank without the
    # 2026.2 flags: it keeps the verdict it was signed with. Drafts pinned to 2026.1 are not
    # frozen: the conditions bind them, so no draft reaches ownership with one unmet.
    from assessor import bank

    legacy = bank.load_bank_file(bank.BANK_DIR / "2026.1.yaml")
    del legacy["binding_conditions"], legacy["follow_ups_assumed_riskiest"]
    answers = {q["key"]: q["choices"][0]["key"] for s in legacy["sections"] for q in s["questions"]}
    answers.update(credential_lifetime="short_lived")  # condition not met, no 2026.1 rule
    signed = evaluate(bank.build_model(legacy, frozen=True), answers)
    assert signed.verdict == "owner"
    assert not all(c.met for c in signed.conditions)
    draft = evaluate(bank.build_model(legacy), answers)
    assert draft.verdict == "supervised"
    assert "condition-ephemeral-credentials" in {r.id for r in draft.rules_fired}


def test_partial_answers_are_scored_and_list_what_is_missing(model):
    result = evaluate(model, {"approval_chain": "unclear"})
    assert not result.complete
    assert "task_type" in result.missing and "approval_chain" not in result.missing
    assert result.verdict == "copilot"
    assert result.verdict_range == ("copilot", "copilot")  # nothing left can lift it
    assert result.next_level == ()  # no plan built on guesses


def test_while_answers_are_missing_the_range_still_possible_is_reported(model, safe_answers):
    two = {"task_type": "secret_rotation", "environment_tier": "non_production"}
    result = evaluate(model, two)
    assert result.verdict_range == ("copilot", "owner")
    assert result.range_labels == ("Copilot", "Bounded ownership")
    assert result.to_dict()["verdict_range"] == {"lowest": "copilot", "highest": "owner"}
    capped = evaluate(model, {**two, "data_quality": "uneven"})
    assert capped.verdict_range == ("copilot", "supervised")
    assert evaluate(model, safe_answers).verdict_range is None  # complete: no range


def test_decided_by_names_both_when_score_and_rule_agree(model, safe_answers):
    result = evaluate(model, LOWER_TRUST | {"task_pattern": "exception_heavy"})
    assert result.verdict == result.score_verdict == "copilot"
    assert result.decided_by == "score and rule"


def test_unknown_questions_and_choices_are_refused_by_name(model, safe_answers):
    with pytest.raises(AnswerError) as error:
        evaluate(model, {**safe_answers, "favourite_colour": "blue", "kill_switch": "maybe"})
    assert sorted(error.value.problems) == [
        "unknown choice for kill_switch: 'maybe'",
        "unknown question: favourite_colour",
    ]


# --- the path to the next level ------------------------------------------------------------


def apply(answers, path):
    return {**answers, **{change.question: change.to_choice for change in path}}


@pytest.mark.parametrize(
    ("risky", "expected_changes"),
    [
        # the nearest safer choice that clears the rule, not the safest one
        ({"approval_chain": "unclear"}, [{"approval_chain": "documented_manual"}]),
        ({"evidence_capture": "partial"}, [{"evidence_capture": "end_to_end"}]),
        # with credentials issued for one run that expire within the hour, letting them lapse
        # is enough (2026.3); revoking them at task end is not needed for ownership
        ({"revocation": "none"}, [{"revocation": "expires_at_ttl"}]),
        (
            {"tool_chaining": "identity_ticketing_cloud", "runtime_policy": "none"},
            # copilot -> supervised: one change clears the chain-without-policy rule; the
            # chain itself is scope (2026.3), so the plan adds the policy instead
            [{"runtime_policy": "policy_as_code"}],
        ),
    ],
)
def test_next_level_is_the_smallest_change_that_lifts_one_level(
    model, safe_answers, risky, expected_changes
):
    answers = {**safe_answers, **risky}
    before = evaluate(model, answers)
    changes = {c.question: c.to_choice for c in before.next_level}
    assert changes in expected_changes
    after = evaluate(model, apply(answers, before.next_level))
    assert engine.VERDICT_RANK[after.verdict] >= engine.VERDICT_RANK[before.next_level_target]
    assert before.next_level_target == engine.VERDICTS[engine.VERDICT_RANK[before.verdict] + 1]


def test_next_level_clears_a_rule_that_needs_two_changes(model, safe_answers):
    answers = answers_with(
        safe_answers, privilege_scope="broad", identities_affected="hundreds_plus"
    )
    result = evaluate(model, answers)
    assert result.verdict == "supervised"
    # How many identities a run reaches is scope (2026.3): the plan bounds it with a batch cap
    # and narrows what the credentials can do, never "affect fewer identities".
    changed = {c.question for c in result.next_level}
    assert "batch_limit" in changed and "identities_affected" not in changed
    assert changed - {"batch_limit"} <= {"privilege_scope", "grant_capability"}
    assert len(changed) == 2
    assert all(c.rules_cleared == ("high-blast-radius",) for c in result.next_level)
    assert evaluate(model, apply(answers, result.next_level)).verdict == "owner"


def test_next_level_from_a_score_decided_copilot_names_dimensions(model):
    result = evaluate(model, LOWER_TRUST)
    assert result.next_level_target == "supervised"
    assert result.next_level, "a copilot verdict below the threshold needs score gains"
    for change in result.next_level:
        assert change.dimension in {d.key for d in model.dimensions}
        assert change.control
        assert not model.question_map[change.question].scope
        # Every change moves towards a safer choice, never away from one.
        keys = model.question_map[change.question].choice_keys
        assert keys.index(change.to_choice) < keys.index(change.from_choice)
    assert evaluate(model, apply(LOWER_TRUST, result.next_level)).verdict == "supervised"


def test_the_path_never_changes_the_workflow_itself(model, safe_answers):
    # 2026.1 proposed "Production -> Non-production only" and relabelling the task: facts, not
    # controls. Approving production access can only be supervised, and the plan says why.
    answers = {**safe_answers, "task_type": "access_approval", "environment_tier": "production"}
    result = evaluate(model, answers)
    assert result.verdict == "supervised"
    assert result.next_level == ()
    # Who takes the decision is a fact of the workflow too (2026.3): left unanswered, it
    # counts as the agent deciding, and only a different workflow would change it.
    assert result.next_level_blocked_by == ("task_type", "environment_tier", "decision_source")


def test_worst_answers_are_blocked_by_their_scope(model):
    worst = {q.key: q.choices[-1].key for q in model.questions if q.core}
    result = evaluate(model, worst)
    assert result.verdict == "copilot"
    assert result.next_level == ()
    assert "task_pattern" in result.next_level_blocked_by  # exception-heavy work
    assert all(model.question_map[key].scope for key in result.next_level_blocked_by)


def test_a_plan_answers_a_follow_up_it_relies_on(model, safe_answers):
    # Free text with an unanswered isolation follow-up: the plan may ask to answer it.
    answers = {**safe_answers, "input_sources": "untrusted_free_text"}
    result = evaluate(model, answers)
    assert result.verdict == "supervised"
    after = apply(answers, result.next_level)
    assert evaluate(model, after).verdict == "owner"
    assert all(not model.question_map[c.question].scope for c in result.next_level)


def test_frameworks_cover_fired_rules_and_the_decision_itself(model, safe_answers):
    result = evaluate(model, {**safe_answers, "input_sources": "untrusted_free_text"})
    ids = {(f.framework, f.id) for f in result.frameworks}
    assert ("OWASP Top 10 for Agentic Applications 2026", "ASI01") in ids
    assert ("NIST AI RMF 1.0", "GOVERN 3.2") in ids  # baseline reference
    safe_ids = {(f.framework, f.id) for f in evaluate(model, safe_answers).frameworks}
    assert ("OWASP Top 10 for Agentic Applications 2026", "ASI01") not in safe_ids


def test_result_dictionary_has_the_contract_fields(model, safe_answers):
    data = evaluate(model, {**safe_answers, "data_quality": "uneven"}).to_dict()
    for key in ("verdict", "score", "dimensions", "rules_fired", "decided_by", "next_level"):
        assert key in data
    assert data["rules_fired"][0]["id"] == "data-quality-uneven"
    assert set(data["rules_fired"][0]) >= {"id", "cap", "reason"}
    assert data["frameworks"] and set(data["frameworks"][0]) >= {"framework", "id", "title"}
    for key in ("next_level_blocked_by", "conditions", "assumed"):
        assert key in data


def test_eu_ai_act_oversight_says_why_it_is_cited(model, safe_answers):
    refs = {f.id: f for f in evaluate(model, safe_answers).frameworks if "EU AI Act" in f.framework}
    assert "high-risk" in refs["Art. 14"].note


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_the_planners_one_change_shortcut_agrees_with_the_full_engine(model, data):
    # Trimming a plan re-checks only the changed question's rules and points; it must give the
    # answer the full engine gives, or plans would not be the smallest.
    answers = {
        q.key: data.draw(st.sampled_from(q.choice_keys), label=q.key)
        for q in model.questions
        if q.core or data.draw(st.booleans(), label=f"answer {q.key}")
    }
    given_answers = engine.effective_answers(model, answers)
    scored, _ = engine.scored_answers(model, given_answers)
    outcome = scoring._outcome(model, scored)
    target = data.draw(st.sampled_from(engine.VERDICTS[1:]), label="target")
    planner = planning._Planner(model, given_answers, scored, outcome, target)
    keys = sorted(k for k in scored if k not in model.parent_keys)
    anchor_key = data.draw(st.sampled_from(keys), label="anchored change")
    question = model.question_map[anchor_key]
    plan = {anchor_key: data.draw(st.sampled_from(question.choice_keys), label="anchor")}
    planner.anchor(plan)
    if data.draw(st.booleans(), label="drop the anchored change"):
        key, trial = anchor_key, {}
    else:
        key = data.draw(st.sampled_from(keys), label="changed")
        choice = data.draw(st.sampled_from(model.question_map[key].choice_keys), label="to")
        trial = {**plan, key: choice}
    if planner._one_change_from_anchor(trial) is None:
        return
    full = planner._reaches({**given_answers, **trial})
    assert planner._reaches_by_one(trial, key) == full


# --- questionnaire 2026.3: floors, optional questions, scope gaps ----------------------------


def test_an_enforced_approval_chain_lifts_a_low_score_to_supervised(model):
    # LOWER_TRUST falls to copilot on score alone; with its approvals codified (the platform
    # already stops self-approval, overrides are rare and recorded) the article's answer is
    # "the AI drafts, a named person approves".
    answers = {**LOWER_TRUST, "approval_chain": "codified"}
    result = evaluate(model, answers)
    assert result.score < model.thresholds["supervised"]
    assert result.score_verdict == "copilot"
    assert result.verdict == "supervised"
    assert result.decided_by == "rule"
    assert [f.id for f in result.floors_applied] == ["approval-chain-enforced"]
    assert result.to_dict()["floors_applied"][0]["floor"] == "supervised"


def test_a_floor_never_overrides_a_copilot_trigger(model):
    answers = {**LOWER_TRUST, "approval_chain": "codified", "legacy_iam": "brittle_legacy"}
    result = evaluate(model, answers)
    assert result.verdict == "copilot"
    assert "brittle-legacy-iam" in {r.id for r in result.rules_fired}
    assert result.floors_applied == ()  # overridden, so it is not given as a reason


def test_a_floor_needs_the_chain_to_be_enforced(model):
    for weak in (
        {"self_approval": "no_by_convention"},
        {"informal_overrides": "rare_unlogged"},
        {"approval_chain": "documented_manual"},
    ):
        answers = {**LOWER_TRUST, "approval_chain": "codified", **weak}
        result = evaluate(model, answers)
        assert result.floors_applied == (), weak
        assert result.verdict == "copilot", weak


def test_an_optional_question_left_unanswered_counts_for_nothing(model, safe_answers):
    answers = {k: v for k, v in safe_answers.items() if k != "reserved_decision"}
    result = evaluate(model, answers)
    assert result.verdict == "owner"
    assert "reserved_decision" not in result.assumed
    assert "reserved_decision" in result.optional_unanswered
    assert result.score == evaluate(model, safe_answers).score
    reserved = evaluate(model, {**answers, "reserved_decision": "reserved"})
    assert reserved.verdict == "supervised"
    assert [r.id for r in reserved.rules_fired] == ["decision-reserved-to-person"]
    # A reserved decision is a fact of the workflow: no plan proposes to "unreserve" it.
    assert reserved.next_level == ()
    assert reserved.next_level_blocked_by == ("reserved_decision",)


def test_an_optional_question_carries_no_points(document):
    for section in document["sections"]:
        for question in section["questions"]:
            if question.get("optional"):
                assert all(not choice["weights"] for choice in question["choices"])


@pytest.mark.parametrize(
    ("revocation", "lifetime", "met"),
    [
        ("automatic_at_task_end", "ephemeral_jit", True),
        ("lapses_within_hour", "ephemeral_jit", True),
        ("expires_at_ttl", "ephemeral_jit", True),  # an ephemeral_jit token expires in the hour
        ("lapses_within_hour", "per_run_hours", False),  # outlives the run by hours
        ("expires_at_ttl", "per_run_hours", False),
        ("manual", "ephemeral_jit", False),
    ],
)
def test_one_run_credentials_that_lapse_within_the_hour_meet_the_condition(
    model, safe_answers, revocation, lifetime, met
):
    answers = {**safe_answers, "revocation": revocation, "credential_lifetime": lifetime}
    result = evaluate(model, answers)
    condition = {c.id: c.met for c in result.conditions}["ephemeral-credentials"]
    assert condition is met
    assert (result.verdict == "owner") is met


def test_a_chain_with_strong_links_is_not_capped(model, safe_answers):
    strong = {
        **safe_answers,
        "tool_chaining": "identity_ticketing_cloud",
        "chain_credentials": "separate_per_system",
        "chain_policy_coverage": "every_step",
    }
    assert evaluate(model, strong).verdict == "owner"
    for weak in (
        {"chain_credentials": "mixed_by_step"},
        {"chain_policy_coverage": "some_steps_unchecked"},
        {"policy_evaluation": "per_session"},
        {"evidence_capture": "platform_audit_logs"},
        {"credential_scope": "role_scoped"},
    ):
        result = evaluate(model, {**strong, **weak})
        assert "tool-chain-weak-link" in {r.id for r in result.rules_fired}, weak
        assert result.verdict == "supervised", weak


def test_remove_only_work_in_capped_batches_is_not_a_high_blast_radius(model, safe_answers):
    answers = {
        **safe_answers,
        "task_type": "deprovisioning",
        "privilege_scope": "broad",
        "grant_capability": "remove_only",
        "identities_affected": "hundreds_plus",
        "batch_limit": "capped_with_halt",
    }
    assert "high-blast-radius" not in {r.id for r in evaluate(model, answers).rules_fired}
    for harm in ({"grant_capability": "can_grant"}, {"batch_limit": "capped"}):
        fired = {r.id for r in evaluate(model, {**answers, **harm}).rules_fired}
        assert "high-blast-radius" in fired, harm


def test_a_decision_recorded_before_the_run_is_not_the_agent_deciding(model, safe_answers):
    answers = {**safe_answers, "task_type": "access_approval", "environment_tier": "production"}
    recorded = {**answers, "decision_source": "accountable_person_recorded"}
    assert evaluate(model, recorded).verdict == "owner"
    assert evaluate(model, {**answers, "decision_source": "agent_decides"}).verdict == (
        "supervised"
    )


def test_scope_blocked_verdicts_name_the_control_gaps_that_would_remain(model, safe_answers):
    answers = {
        **safe_answers,
        "business_impact": "organisation_wide",
        "monitoring": "none",
        "kill_switch": "untested",
    }
    result = evaluate(model, answers)
    assert result.verdict == "supervised"
    assert result.next_level == ()
    assert result.next_level_blocked_by == ("business_impact",)
    # Even with a narrower scope, these controls would still hold it at supervised.
    assert {r.id for r in result.control_gaps} == {"no-monitoring", "kill-switch-untested"}
    assert {g["id"] for g in result.to_dict()["control_gaps"]} == {
        "no-monitoring",
        "kill-switch-untested",
    }
    # With a plan there is nothing to list.
    assert evaluate(model, {**safe_answers, "monitoring": "none"}).control_gaps == ()


def test_a_refinement_answered_without_its_parent_is_named(model, safe_answers):
    answers = {**safe_answers, "batch_limit": "capped_with_halt"}  # identities_affected = one
    problems = engine.check_visibility(model, answers)
    assert len(problems) == 1 and problems[0].startswith("batch_limit is answered")
    assert "identities_affected" in problems[0]
    assert engine.check_visibility(model, safe_answers) == []


# --- the plan, most decisive change first ------------------------------------------------------


# Five changes lift this to bounded ownership; in the bank's order a change that clears no rule
# comes third, ahead of two that each clear rules.
def test_the_plan_is_ordered_by_what_each_change_clears(model):
    result = evaluate(model, MIXED_PLAN)
    assert [bool(c.rules_cleared) for c in result.next_level[:3]] == [True, True, False]
    ordered = engine.changes_by_effect(model, result)
    cleared = [len(c.rules_cleared) for c in ordered]
    assert cleared == sorted(cleared, reverse=True) and cleared[-1] == 0
    assert all(ordered[i].rules_cleared for i in range(3))
    assert sorted(c.question for c in ordered) == sorted(c.question for c in result.next_level)
    assert [c.question for c in ordered][0] == "completion_criteria"  # clears two rules
