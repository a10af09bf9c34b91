"""Sections, their questions and each question's choices, with the core contract and scope."""

from __future__ import annotations

from typing import Any

from assessor.records.validators import POINTS_RANGE

from .checker import Checker, is_number, text
from .contract import ADDED_IN_2026_2, CORE_CONTRACT


def parse_sections(
    check: Checker, raw: Any, dimension_keys: set[str]
) -> tuple[list[dict], dict[str, list[str]]]:
    """The sections, and every question's choice keys (key -> choices) in the order asked."""
    sections: list[dict] = []
    choices_so_far: dict[str, list[str]] = {}
    if not isinstance(raw, list) or not raw:
        check.fail("sections", "a non-empty list is required")
        raw = []
    for section, where in check.keyed(raw, "sections", "section"):
        raw_questions = section.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            check.fail(where, "needs a non-empty list of questions")
            raw_questions = []
        questions = []
        for q, question in enumerate(raw_questions):
            parsed = parse_question(
                check, f"{where}.questions[{q}]", question, dimension_keys, choices_so_far
            )
            if parsed is not None:
                questions.append(parsed)
                choices_so_far[parsed["key"]] = [c["key"] for c in parsed["choices"]]
        sections.append(
            {
                "key": section["key"],
                "title": text(section.get("title")) or section["key"],
                "intro": text(section.get("intro")),
                "questions": questions,
            }
        )
    return sections, choices_so_far


def check_core_contract(
    check: Checker, questions: dict[str, dict], choices: dict[str, list[str]]
) -> None:
    """Every question and choice of DESIGN.md's contract is present, and marked core."""
    for key, contract_choices in CORE_CONTRACT.items():
        question = questions.get(key)
        if question is None:
            if key not in ADDED_IN_2026_2:
                check.fail("sections", f"core question {key!r} is missing")
            continue
        if not question["core"]:
            check.fail(f"question {key!r}", "is a core question and must have core: true")
        missing = [c for c in contract_choices if c not in choices[key]]
        if missing:
            check.fail(f"question {key!r}", f"core choice(s) {missing} are missing")


def mark_scope(check: Checker, listed: Any, questions: dict[str, dict]) -> None:
    """A top-level `scope: [keys]` marks questions as scope, like `scope: true` on each."""
    if listed is None:
        return
    if not isinstance(listed, list) or not all(isinstance(k, str) for k in listed):
        check.fail("scope", "must be a list of question keys")
        return
    for key in listed:
        if key not in questions:
            check.fail("scope", f"names unknown question {key!r}")
        else:
            questions[key]["scope"] = True


def parse_question(check, where, question, dimension_keys, earlier) -> dict | None:
    """One question; `earlier` holds the questions asked before it (key -> choice keys)."""
    if not isinstance(question, dict) or not text(question.get("key")):
        check.fail(where, "needs a key")
        return None
    key = question["key"]
    where = f"question {key!r}"
    if key in earlier:
        check.fail(where, "duplicate question key")
    if not text(question.get("text")):
        check.fail(where, "needs text")
    core = _flag(check, where, question, "core")
    scope = _flag(check, where, question, "scope")
    optional = _flag(check, where, question, "optional")
    if optional and core:
        check.fail(where, "a core question must be answered and cannot be optional")
    show_if = None
    if question.get("show_if") is not None:
        if core:
            check.fail(where, "a core question is always asked and cannot have show_if")
        # Only earlier questions: a follow-up is asked after the answer it depends on.
        show_if = check.condition(
            f"{where}.show_if", question["show_if"], earlier, "a question not asked before it:"
        )
    choices = _choices(check, where, question.get("choices"), dimension_keys)
    if optional and any(choice["weights"] for choice in choices):
        # Left unanswered it counts for nothing; with points, answering it would move the
        # score of every answer set that skipped it, which an optional question must not do.
        check.fail(where, "an optional question carries no points: its rules say what it does")
    parsed = {
        "key": key,
        "text": text(question.get("text")),
        "help": text(question.get("help")),
        "control": text(question.get("control")),
        "core": core,
        "show_if": show_if,
        "frameworks": check.refs(where, question.get("frameworks")),
        "choices": choices,
    }
    if scope:  # only when set, so documents stored before scope existed keep their hash
        parsed["scope"] = True
    if optional:  # likewise
        parsed["optional"] = True
    return parsed


def _flag(check: Checker, where: str, question: dict, name: str) -> bool:
    value = question.get(name, False)
    if not isinstance(value, bool):
        check.fail(where, f"{name} must be true or false")
        return False
    return value


def _choices(check: Checker, where: str, raw: Any, dimension_keys: set[str]) -> list[dict]:
    choices: list[dict] = []
    if not isinstance(raw, list) or len(raw) < 2:
        check.fail(where, "needs at least two choices")
        raw = []
    for choice, cwhere in check.keyed(raw, f"{where}.choices", "choice", prefix=f"{where} "):
        weights = _weights(check, cwhere, choice.get("weights") or {}, dimension_keys)
        label = _label(check, cwhere, choice)
        choices.append({"key": choice["key"], "label": label or choice["key"], "weights": weights})
    return choices


def _weights(check: Checker, cwhere: str, weights: Any, dimension_keys: set[str]) -> dict:
    """A choice's points per dimension, as floats; bad entries are named and left out."""
    if not isinstance(weights, dict):
        check.fail(cwhere, "weights must map dimension keys to numbers")
        return {}
    lowest, highest = POINTS_RANGE
    clean = {}
    for dim, points in weights.items():
        if dim not in dimension_keys:
            check.fail(cwhere, f"weight names unknown dimension {dim!r}")
        elif not is_number(points):
            check.fail(cwhere, f"weight on {dim!r} must be a number, not {points!r}")
        elif not lowest <= points <= highest:
            check.fail(
                cwhere, f"weight on {dim!r} must be from {lowest} to {highest}, not {points!r}"
            )
        else:
            clean[dim] = float(points)
    return clean


def _label(check: Checker, cwhere: str, choice: dict) -> str:
    label = text(choice.get("label"))
    if isinstance(choice.get("label"), bool):
        check.fail(cwhere, "label was read as true/false: put Yes or No in quotes")
    elif not label:
        check.fail(cwhere, "needs a label a reviewer can read")
    elif label in (str(choice["key"]), str(choice["key"]).replace("_", " ")):
        check.fail(cwhere, f"label {label!r} only repeats the key; write what it means")
    return label
