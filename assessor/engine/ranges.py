"""What an unfinished assessment can still become: every open question at its riskiest, then at
its safest, gives the lowest and highest verdicts the answers so far allow.
"""

from __future__ import annotations

from collections.abc import Mapping

from assessor.engine.model import ScoringModel
from assessor.engine.score import evaluate_verdict


def _filled(model: ScoringModel, answers: Mapping[str, str], pick, keys=None) -> dict[str, str]:
    """The answers with every shown, unanswered question (of `keys`, if given) set by `pick`."""
    filled: dict[str, str] = {}
    for question in model.questions:
        if question.show_if is not None and not question.show_if.matches(filled):
            continue
        choice = answers.get(question.key)
        if choice is not None and (keys is None or question.key not in keys):
            filled[question.key] = choice
        elif keys is None or question.key in keys:
            filled[question.key] = pick(question).key
    return filled


def _verdict_range(model: ScoringModel, given: Mapping[str, str]) -> tuple[str, str]:
    """The lowest and highest verdicts the answers so far still allow: every question still
    open (core or shown follow-up) at its riskiest, then at its safest."""
    lowest = evaluate_verdict(model, _filled(model, given, lambda q: q.riskiest))
    highest = evaluate_verdict(model, _filled(model, given, lambda q: q.safest))
    return lowest, highest
