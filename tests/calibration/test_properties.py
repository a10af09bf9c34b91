"""Property tests over the whole question bank, with Hypothesis.

Strategies draw a choice for every question of a bank; each follow-up is either answered or
left out (a shown follow-up left out counts as its riskiest choice). Properties:

(a) `owner` never comes with an ownership condition not met;
(b) a safer answer (an earlier choice: choices are listed safest first) never lowers the verdict;
(c) skipping a shown follow-up never raises the verdict, whatever the answer it replaces;
(d) every next-level plan reaches its target and never changes a scope question; with no plan,
    the scope questions that block it are named and the all-safest controls indeed fall short;
(e) with every core answer given, the verdict lies within the range reported while any subset
    of core answers was still missing.

The default bank (2026.2) gets all five; the archived 2026.1 bank, which records pinned to it
are still scored against, gets the owner-condition and plan properties.

No database: the bank files are parsed and compiled directly.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessor import bank, scoring

DEFAULT = bank.build_model(bank.load_bank_file())
OLD = bank.build_model(bank.load_bank_file(bank.BANK_DIR / "2026.1.yaml"))
RANK = scoring.VERDICT_RANK

BOTH = [pytest.param(DEFAULT, id=DEFAULT.version), pytest.param(OLD, id=OLD.version)]
CURRENT = [pytest.param(DEFAULT, id=DEFAULT.version)]

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answers_for(model: scoring.ScoringModel, *, follow_ups: str = "some"):
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


def shown_follow_ups(model: scoring.ScoringModel, answers: dict) -> list[str]:
    return [
        q.key
        for q in scoring.visible_questions(model, answers)
        if not q.core and q.show_if is not None
    ]


# --- (a) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", BOTH)
@PROPERTY
@given(data=st.data())
def test_owner_never_comes_with_a_condition_not_met(model, data):
    answers = data.draw(answers_for(model))
    result = scoring.evaluate(model, answers)
    if result.verdict == "owner":
        unmet = [c.id for c in result.conditions if not c.met]
        assert unmet == []


# --- (b) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CURRENT)
@PROPERTY
@given(data=st.data())
def test_a_safer_answer_never_lowers_the_verdict(model, data):
    answers = data.draw(answers_for(model))
    key = data.draw(st.sampled_from(sorted(answers)))
    question = model.question_map[key]
    position = question.choice_keys.index(answers[key])
    if position == 0:
        return
    safer = question.choice_keys[data.draw(st.integers(0, position - 1))]
    before = scoring.evaluate_verdict(model, answers)
    after = scoring.evaluate_verdict(model, {**answers, key: safer})
    assert RANK[after] >= RANK[before], f"{key}: {answers[key]} -> {safer}: {before} -> {after}"


# --- (c) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CURRENT)
@PROPERTY
@given(data=st.data())
def test_skipping_a_shown_follow_up_never_raises_the_verdict(model, data):
    answers = data.draw(answers_for(model, follow_ups="all"))
    shown = shown_follow_ups(model, answers)
    if not shown:
        return
    key = data.draw(st.sampled_from(shown))
    answered = scoring.evaluate_verdict(model, answers)
    skipped = {k: v for k, v in answers.items() if k != key}
    result = scoring.evaluate(model, skipped)
    assert key in result.assumed
    assert RANK[result.verdict] <= RANK[answered], f"skipping {key} raised {answered}"


# --- (d) -------------------------------------------------------------------------------------


def check_plan(model: scoring.ScoringModel, answers: dict) -> None:
    result = scoring.evaluate(model, answers)
    if result.verdict == "owner":
        assert not result.next_level and not result.next_level_blocked_by
        return
    target = result.next_level_target
    assert target == scoring.VERDICTS[RANK[result.verdict] + 1]
    if result.next_level:
        assert not result.next_level_blocked_by
        changed = dict(answers)
        for change in result.next_level:
            assert not model.question_map[change.question].scope, change.question
            changed[change.question] = change.to_choice
        reached = scoring.evaluate_verdict(model, changed)
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
        reached = scoring.evaluate_verdict(model, safest_controls)
        assert RANK[reached] < RANK[target], "blocked, yet the safest controls reach the target"


@pytest.mark.parametrize("model", BOTH)
@PROPERTY
@given(data=st.data())
def test_every_plan_reaches_its_target_without_touching_scope(model, data):
    check_plan(model, data.draw(answers_for(model)))


# --- (e) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CURRENT)
@PROPERTY
@given(data=st.data())
def test_final_verdict_lies_within_every_partial_range(model, data):
    answers = data.draw(answers_for(model))
    final = scoring.evaluate_verdict(model, answers)
    dropped = data.draw(st.sets(st.sampled_from(list(model.core_keys)), min_size=1))
    partial = {k: v for k, v in answers.items() if k not in dropped}
    result = scoring.evaluate(model, partial)
    assert set(result.missing) == dropped
    assert result.verdict_range is not None
    lowest, highest = result.verdict_range
    assert RANK[lowest] <= RANK[final] <= RANK[highest], (
        f"dropped {sorted(dropped)}: range {lowest}..{highest}, final {final}"
    )
