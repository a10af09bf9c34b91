"""Property tests over the whole question bank, with Hypothesis.

Strategies draw a choice for every question of a bank; each follow-up is either answered or
left out (a shown follow-up left out counts as its riskiest choice, a shown optional question
left out counts for nothing). Properties:

(a) `owner` never comes with an ownership condition not met;
(b) a safer answer (an earlier choice: choices are listed safest first) never lowers the verdict,
    optional questions and the choices 2026.3 added included;
(c) skipping a shown, non-optional follow-up never raises the verdict, whatever the answer it
    replaces;
(d) every next-level plan reaches its target and never changes a scope question (tool chaining
    and identities affected included); with no plan, the scope questions that block it are
    named, the all-safest controls indeed fall short, and the control gaps are the fired caps
    below the target that no scope answer holds in place;
(e) with every core answer given, the verdict lies within the range reported while any subset
    of core answers was still missing;
(f) 2026.2 to 2026.3: a 2026.2 answer set is valid under 2026.3 and scores the same (score and
    every dimension); its verdict changes only where a rule the spec names as changed fires
    differently, or the approval-chain floor fires;
(g) leaving an optional question unanswered gives the result its safe answer gives, as if the
    question did not exist: nothing assumed, no score, no rule;
(h) the verdict is the score's verdict lifted by the floors that fire and then held down by the
    caps that fire: a floor never lifts past a cap.

The default bank (2026.3) gets all of them. The archived banks, which records pinned to them are
still scored against, keep the properties they had: 2026.2 (a) to (e), 2026.1 (a) and (d).

No database: the bank files are parsed and compiled directly.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessor import bank, engine

DEFAULT = bank.build_model(bank.load_bank_file())
V2 = bank.build_model(bank.load_bank_file(bank.BANK_DIR / "2026.2.yaml"))
OLD = bank.build_model(bank.load_bank_file(bank.BANK_DIR / "2026.1.yaml"))
RANK = engine.VERDICT_RANK

ALL_BANKS = [pytest.param(m, id=m.version) for m in (DEFAULT, V2, OLD)]
# The current bank and the one it replaced (which records pinned to 2026.2 still use).
CURRENT = [pytest.param(m, id=m.version) for m in (DEFAULT, V2)]

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FOCUSED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# What the workflow is, not its controls (DESIGN.md); 2026.3 adds the last two to every bank.
SCOPE = {
    "task_type",
    "environment_tier",
    "task_pattern",
    "business_impact",
    "tool_chaining",
    "identities_affected",
}

# The rules /work/spec-2026.3.md names as changed ("Rules that change in 2026.3"), under their
# ids in either bank, and the one floor. A 2026.2 answer set may change verdict only through
# one of these firing differently.
CHANGED_RULES = {
    "tool-chain-identity-ticketing-cloud",  # 2026.2, replaced by:
    "tool-chain-weak-link",
    "tool-chain-without-policy",
    "high-blast-radius",
    "condition-ephemeral-credentials",
    "no-automatic-revocation",
    "access-approval-beyond-non-production",
    "privilege-escalation-task",
}
FLOOR = "approval-chain-enforced"

# Questions and choices that 2026.3 adds: the focused properties draw their changes from these.
NEW_IN_2026_3 = sorted(
    q.key
    for q in DEFAULT.questions
    if q.key not in V2.question_map or set(q.choice_keys) - set(V2.question_map[q.key].choice_keys)
)


def answers_for(model: engine.ScoringModel, *, follow_ups: str = "some"):
    """Every core question answered; follow-ups answered or left out (`some`), or all answered.

    Half the draws start from the safest answers and change a few, so that owner and supervised
    verdicts, where the properties bite, are as common as the copilot of a random draw.
    """
    keys = [q.key for q in model.questions]

    @st.composite
    def draw_answers(draw) -> dict[str, str]:
        changed = draw(st.sets(st.sampled_from(keys), max_size=5)) if draw(st.booleans()) else None
        answers = {}
        for question in model.questions:
            if not question.core and follow_ups == "some" and not draw(st.booleans()):
                continue
            if changed is None or question.key in changed:
                answers[question.key] = draw(st.sampled_from(question.choice_keys))
            else:
                answers[question.key] = question.safest.key
        return answers

    return draw_answers()


def shown(model: engine.ScoringModel, answers: dict, *, optional: bool) -> list[str]:
    """Non-core questions visible for these answers: follow-ups, or optional questions."""
    return [
        q.key
        for q in engine.visible_questions(model, answers)
        if not q.core and q.optional == optional and (optional or q.show_if is not None)
    ]


def fired_ids(result: engine.Result) -> set[str]:
    floors = {floor.id for floor in result.floors_applied}
    return {rule.id for rule in result.rules_fired} | floors


# --- (a) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ALL_BANKS)
@PROPERTY
@given(data=st.data())
def test_owner_never_comes_with_a_condition_not_met(model, data):
    answers = data.draw(answers_for(model))
    result = engine.evaluate(model, answers)
    if result.verdict == "owner":
        unmet = [c.id for c in result.conditions if not c.met]
        assert unmet == []


# --- (b) -------------------------------------------------------------------------------------


def check_safer_answer(model: engine.ScoringModel, answers: dict, key: str, data) -> None:
    question = model.question_map[key]
    position = question.choice_keys.index(answers[key])
    if position == 0:
        return
    safer = question.choice_keys[data.draw(st.integers(0, position - 1))]
    before = engine.evaluate_verdict(model, answers)
    after = engine.evaluate_verdict(model, {**answers, key: safer})
    assert RANK[after] >= RANK[before], f"{key}: {answers[key]} -> {safer}: {before} -> {after}"


@pytest.mark.parametrize("model", CURRENT)
@PROPERTY
@given(data=st.data())
def test_a_safer_answer_never_lowers_the_verdict(model, data):
    answers = data.draw(answers_for(model))
    check_safer_answer(model, answers, data.draw(st.sampled_from(sorted(answers))), data)


@FOCUSED
@given(data=st.data())
def test_a_safer_answer_to_a_2026_3_fact_never_lowers_the_verdict(data):
    """The same, with the changed answer drawn from what 2026.3 adds (optional questions too)."""
    answers = data.draw(answers_for(DEFAULT, follow_ups="all"))
    key = data.draw(st.sampled_from(NEW_IN_2026_3))
    check_safer_answer(DEFAULT, answers, key, data)


# --- (c) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CURRENT)
@PROPERTY
@given(data=st.data())
def test_skipping_a_shown_follow_up_never_raises_the_verdict(model, data):
    answers = data.draw(answers_for(model, follow_ups="all"))
    follow_ups = shown(model, answers, optional=False)
    if not follow_ups:
        return
    key = data.draw(st.sampled_from(follow_ups))
    answered = engine.evaluate_verdict(model, answers)
    skipped = {k: v for k, v in answers.items() if k != key}
    result = engine.evaluate(model, skipped)
    assert key in result.assumed
    assert RANK[result.verdict] <= RANK[answered], f"skipping {key} raised {answered}"


# --- (d) -------------------------------------------------------------------------------------


def check_plan(model: engine.ScoringModel, answers: dict) -> None:
    result = engine.evaluate(model, answers)
    if result.verdict == "owner":
        assert not result.next_level and not result.next_level_blocked_by
        return
    target = result.next_level_target
    assert target == engine.VERDICTS[RANK[result.verdict] + 1]
    if result.next_level:
        assert not result.next_level_blocked_by
        changed = dict(answers)
        for change in result.next_level:
            assert change.question not in SCOPE, change.question
            assert not model.question_map[change.question].scope, change.question
            changed[change.question] = change.to_choice
        reached = engine.evaluate_verdict(model, changed)
        assert RANK[reached] >= RANK[target], f"plan reaches {reached}, not {target}"
    else:
        blocked = result.next_level_blocked_by
        assert blocked, "no plan and nothing named as blocking it"
        assert all(model.question_map[key].scope for key in blocked), blocked
        # The claim is true: even every control at its safest stays below the target.
        safest_controls = {
            q.key: (answers[q.key] if q.scope else q.safest.key)
            for q in model.questions
            if q.key in answers or not q.scope
        }
        reached = engine.evaluate_verdict(model, safest_controls)
        assert RANK[reached] < RANK[target], "blocked, yet the safest controls reach the target"
        rules = {rule.id: rule for rule in model.binding_rules}
        expected = {
            fired.id
            for fired in result.rules_fired
            if RANK[fired.cap] < RANK[target]
            and not rules[fired.id].when.questions() & model.scope_keys
        }
        assert {gap.id for gap in result.control_gaps} == expected


@pytest.mark.parametrize("model", ALL_BANKS)
@PROPERTY
@given(data=st.data())
def test_every_plan_reaches_its_target_without_touching_scope(model, data):
    check_plan(model, data.draw(answers_for(model)))


@pytest.mark.parametrize("model", ALL_BANKS)
def test_every_bank_treats_the_workflow_facts_as_scope(model):
    assert model.scope_keys >= SCOPE & set(model.question_map)


# --- (e) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CURRENT)
@PROPERTY
@given(data=st.data())
def test_final_verdict_lies_within_every_partial_range(model, data):
    answers = data.draw(answers_for(model))
    final = engine.evaluate_verdict(model, answers)
    dropped = data.draw(st.sets(st.sampled_from(list(model.core_keys)), min_size=1))
    partial = {k: v for k, v in answers.items() if k not in dropped}
    result = engine.evaluate(model, partial)
    assert set(result.missing) == dropped
    assert result.verdict_range is not None
    lowest, highest = result.verdict_range
    assert RANK[lowest] <= RANK[final] <= RANK[highest], (
        f"dropped {sorted(dropped)}: range {lowest}..{highest}, final {final}"
    )


# --- (f) -------------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_a_2026_2_answer_set_scores_the_same_under_2026_3(data):
    answers = data.draw(answers_for(V2))
    assert engine.check_answers(DEFAULT, answers) == []
    before = engine.evaluate(V2, answers, plan=False)
    after = engine.evaluate(DEFAULT, answers, plan=False)
    assert after.score == pytest.approx(before.score)
    assert after.dimensions.keys() == before.dimensions.keys()
    for key, value in before.dimensions.items():
        assert after.dimensions[key] == pytest.approx(value), key
    assert after.score_verdict == before.score_verdict
    if after.verdict != before.verdict:
        differ = fired_ids(before) ^ fired_ids(after)
        assert differ & (CHANGED_RULES | {FLOOR}), (
            f"{before.verdict} -> {after.verdict}, rules that fire differently: {sorted(differ)}"
        )
    # Every rule that fires differently is one the spec names as changed: the rules 2026.3
    # adds fire only on answers that 2026.2 could not give.
    assert fired_ids(before) ^ fired_ids(after) <= CHANGED_RULES | {FLOOR}


# --- (g) -------------------------------------------------------------------------------------


@FOCUSED
@given(data=st.data())
def test_an_unanswered_optional_question_counts_for_nothing(data):
    answers = data.draw(answers_for(DEFAULT, follow_ups="all"))
    optional = shown(DEFAULT, answers, optional=True)
    if not optional:
        return
    key = data.draw(st.sampled_from(optional))
    skipped = {k: v for k, v in answers.items() if k != key}
    safe = {**answers, key: DEFAULT.question_map[key].safest.key}
    left = engine.evaluate(DEFAULT, skipped, plan=False)
    right = engine.evaluate(DEFAULT, safe, plan=False)
    assert key not in left.assumed
    assert key in left.optional_unanswered
    assert (left.verdict, left.score, left.dimensions) == (
        right.verdict,
        right.score,
        right.dimensions,
    )
    assert fired_ids(left) == fired_ids(right)
    answered = engine.evaluate_verdict(DEFAULT, answers)
    assert RANK[answered] <= RANK[left.verdict], "answering an optional question never lifts"


# --- (h) -------------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_floors_lift_the_score_but_never_past_a_cap(data):
    answers = data.draw(answers_for(DEFAULT))
    result = engine.evaluate(DEFAULT, answers, plan=False)
    caps = [rule.cap for rule in result.rules_fired]
    floors = [floor.floor for floor in result.floors_applied]
    lifted = max([result.score_verdict, *floors], key=RANK.__getitem__)
    expected = min([lifted, *caps], key=RANK.__getitem__)
    assert result.verdict == expected
    for cap in caps:
        assert RANK[result.verdict] <= RANK[cap]
