"""The studio's words for a bank document: each condition and rule as a sentence."""

from __future__ import annotations

from assessor.engine import VERDICT_LABELS


def subject(question: dict) -> str:
    """A short name for a question in a sentence: its key in words ("approval chain")."""
    return question["key"].replace("_", " ")


def questions_of(document: dict) -> dict[str, dict]:
    return {q["key"]: q for s in document["sections"] for q in s["questions"]}


def condition_words(condition: dict | None, document: dict) -> str:
    """A condition as words: 'approval chain is “Unclear”', joined by 'and' / 'or'."""
    if not condition:
        return "always"
    questions = questions_of(document)
    for op, joiner in (("all", " and "), ("any", " or ")):
        if op in condition:
            parts = [condition_words(child, document) for child in condition[op]]
            if any(("all" in c or "any" in c) for c in condition[op]):
                parts = [f"({part})" for part in parts]
            return joiner.join(parts)
    question = questions.get(condition["question"])
    op = "in" if "in" in condition else "not_in"
    if question is None:
        return f"{condition['question']} {'is' if op == 'in' else 'is not'} {condition[op]}"
    labels = {c["key"]: c["label"] for c in question["choices"]}
    named = " or ".join(f"“{labels.get(key, key)}”" for key in condition[op])
    return f"{subject(question)} {'is' if op == 'in' else 'is not'} {named}"


def rule_kind(rule: dict) -> tuple[str, str]:
    """('cap' or 'floor', the level's key) of a rule of a document."""
    kind = "floor" if "floor" in rule else "cap"
    return kind, rule.get(kind)


def rule_effect(rule: dict) -> str:
    """'cap at Copilot' or 'lifts the verdict to at least Supervised'."""
    kind, level = rule_kind(rule)
    label = VERDICT_LABELS.get(level, level)
    return f"lifts the verdict to at least {label}" if kind == "floor" else f"cap at {label}"


def rule_sentence(rule: dict, document: dict) -> str:
    """'When approval chain is “Unclear”, cap at Copilot.', or for a floor 'Lifts the verdict
    to at least Supervised when approval chain is “Codified”.'"""
    when = condition_words(rule["when"], document)
    if rule_kind(rule)[0] == "floor":
        effect = rule_effect(rule)
        return f"{effect[0].upper()}{effect[1:]} when {when}."
    return f"When {when}, {rule_effect(rule)}."
