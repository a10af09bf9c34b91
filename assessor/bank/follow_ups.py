"""Follow-up questions: a show-if that can never hold is refused, as nobody would be asked."""

from __future__ import annotations

import itertools
import math

from .checker import Checker
from .compile import condition

# A show-if condition touches a handful of questions; checking every combination of their
# choices is exact and cheap up to this many combinations.
_REACHABLE_LIMIT = 100_000


def check_reachable(check: Checker, question: dict, questions: dict[str, dict]) -> None:
    """A follow-up whose show-if can never hold would never be asked: refuse it."""
    if not question["show_if"]:
        return
    show_if = condition(question["show_if"])
    keys = sorted(show_if.questions())
    options = [[c["key"] for c in questions[k]["choices"]] for k in keys]
    if math.prod(len(o) for o in options) > _REACHABLE_LIMIT:
        return
    for combination in itertools.product(*options):
        if show_if.matches(dict(zip(keys, combination, strict=True))):
            return
    check.fail(
        f"question {question['key']!r}.show_if",
        "can never hold for any combination of answers, so the question would never be asked",
    )
