"""A questionnaire's rows back to a bank in the shipped YAML format: export, refresh, clone.

It reads through the rows' related managers only, so the bank package needs no import of
the models (the models import the bank to compile their documents).
"""

from __future__ import annotations

import yaml


def _number(value):
    """Decimal from the database to a plain YAML number (2, not 2.00; 1.5 stays 1.5)."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def bank_from_rows(questionnaire) -> dict:
    """The questionnaire (a Questionnaire row) as a bank in the shipped YAML format.

    Fixed number of queries whatever the bank's size; parse_bank() of the result gives the
    document the version scores against.
    """
    dimensions = list(questionnaire.dimensions.prefetch_related("frameworks").order_by("order"))
    sections = list(questionnaire.sections.order_by("order"))
    questions = list(
        questionnaire.questions.prefetch_related("frameworks", "choices__weights__dimension")
        .select_related("section")
        .order_by("section__order", "order")
    )
    rules = list(questionnaire.rules.prefetch_related("frameworks").order_by("order"))
    return {
        "version": questionnaire.version,
        "title": questionnaire.title,
        "description": questionnaire.description,
        "dimensions": [_dimension_raw(d) for d in dimensions],
        "thresholds": {
            t.verdict: _number(t.min_score) for t in questionnaire.thresholds.order_by("min_score")
        },
        "baseline_frameworks": sorted(f.ref for f in questionnaire.baseline_frameworks.all()),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "intro": s.intro,
                "questions": [_question_raw(q) for q in questions if q.section_id == s.pk],
            }
            for s in sections
        ],
        "rules": [_rule_raw(r) for r in rules],
        "ownership_conditions": [
            {"id": c.key, "title": c.title, "when": c.condition, "reason": c.reason}
            for c in questionnaire.ownership_conditions.order_by("order")
        ],
        "framework_notes": dict(questionnaire.framework_notes or {}),
    }


def _dimension_raw(dimension) -> dict:
    return {
        "key": dimension.key,
        "label": dimension.label,
        "description": dimension.description,
        "weight": _number(dimension.weight),
        "frameworks": sorted(f.ref for f in dimension.frameworks.all()),
    }


def _rule_raw(rule) -> dict:
    # A floor is written `floor: <level>` where a cap is written `cap: <level>`.
    return {
        "id": rule.key,
        rule.kind: rule.cap,
        "when": rule.condition,
        "reason": rule.reason,
        "frameworks": sorted(f.ref for f in rule.frameworks.all()),
    }


def _question_raw(question) -> dict:
    raw = {
        "key": question.key,
        "core": question.core,
        "text": question.text,
        "help": question.help_text,
        "control": question.control,
        "frameworks": sorted(f.ref for f in question.frameworks.all()),
        "choices": [
            {
                "key": c.key,
                "label": c.label,
                "weights": {
                    w.dimension.key: _number(w.points)
                    for w in sorted(c.weights.all(), key=lambda w: w.dimension.order)
                },
            }
            for c in sorted(question.choices.all(), key=lambda c: c.order)
        ],
    }
    if question.show_if:
        raw["show_if"] = question.show_if
    if question.scope:
        raw["scope"] = True
    if question.optional:
        raw["optional"] = True
    return raw


def bank_yaml(questionnaire) -> str:
    """The questionnaire as YAML that load_questionnaire reads back as a new version."""
    raw = bank_from_rows(questionnaire)
    # Beside the bank's keys: why this version exists, as written at publication.
    raw["release_note"] = questionnaire.release_note
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)
