"""The studio's reads: bank versions and their rows, each found by key within one version.

The views name no model: they ask here, and a missing row is a 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from assessor.models import (
    Dimension,
    FrameworkReference,
    OwnershipCondition,
    Question,
    Questionnaire,
    Rule,
    Section,
)

DRAFT = Questionnaire.Status.DRAFT


def questionnaire_get(version: str) -> Questionnaire:
    return get_object_or_404(
        Questionnaire.objects.select_related("published_by", "publish_requested_by"),
        version=version,
    )


def questionnaire_list():
    """Every version, newest first."""
    return Questionnaire.objects.select_related("published_by", "publish_requested_by").order_by(
        "-created_at", "-pk"
    )


def questionnaire_current() -> Questionnaire | None:
    return Questionnaire.current()


def section_get(draft: Questionnaire, key: str) -> Section:
    return get_object_or_404(Section, questionnaire=draft, key=key)


def question_get(draft: Questionnaire, key: str) -> Question:
    return get_object_or_404(Question, questionnaire=draft, key=key)


def dimension_get(draft: Questionnaire, key: str) -> Dimension:
    return get_object_or_404(Dimension, questionnaire=draft, key=key)


def rule_get(draft: Questionnaire, key: str) -> Rule:
    return get_object_or_404(Rule, questionnaire=draft, key=key)


def condition_get(draft: Questionnaire, key: str) -> OwnershipCondition:
    return get_object_or_404(OwnershipCondition, questionnaire=draft, key=key)


def frameworks_get(refs: list[str]) -> list[FrameworkReference]:
    return list(FrameworkReference.objects.filter(ref__in=refs))
