"""Loading a validated bank document into the database (one transaction, idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import bank
from .models import (
    Choice,
    ChoiceWeight,
    Dimension,
    FrameworkReference,
    OwnershipCondition,
    Question,
    Questionnaire,
    Rule,
    Section,
    Threshold,
)


class VersionConflict(bank.BankError):
    pass


@dataclass(frozen=True)
class LoadOutcome:
    questionnaire: Questionnaire
    created: bool


def sync_framework_references(catalog: dict[str, dict[str, str]]) -> dict[str, FrameworkReference]:
    """Make sure every catalog entry has a row; existing rows keep their primary keys."""
    existing = {ref.ref: ref for ref in FrameworkReference.objects.all()}
    missing = [
        FrameworkReference(
            ref=ref, framework=entry["framework"], identifier=entry["id"], title=entry["title"]
        )
        for ref, entry in catalog.items()
        if ref not in existing
    ]
    if missing:
        FrameworkReference.objects.bulk_create(missing)
        existing = {ref.ref: ref for ref in FrameworkReference.objects.all()}
    return existing


@transaction.atomic
def questionnaire_load(*, document: dict, publish: bool) -> LoadOutcome:
    """Store a parsed bank document as a questionnaire version.

    Loading a document already stored changes nothing. A version label already used by
    different content is refused rather than overwritten: assessments are pinned to versions.
    """
    content_hash = bank.document_hash(document)
    same = Questionnaire.objects.filter(content_hash=content_hash).first()
    if same is not None:
        return LoadOutcome(same, created=False)
    if Questionnaire.objects.filter(version=document["version"]).exists():
        raise VersionConflict(
            [
                f"version {document['version']!r} is already loaded with different content; "
                "give the changed bank a new version label"
            ]
        )

    refs = sync_framework_references(bank.load_catalog())
    now = timezone.now()
    questionnaire = Questionnaire.objects.create(
        version=document["version"],
        title=document["title"],
        description=document["description"],
        status=Questionnaire.Status.PUBLISHED if publish else Questionnaire.Status.DRAFT,
        published_at=now if publish else None,
        document=document,
        content_hash=content_hash,
    )
    questionnaire.baseline_frameworks.set([refs[r] for r in document["baseline_frameworks"]])

    dimensions = {}
    for order, dim in enumerate(document["dimensions"]):
        row = Dimension.objects.create(
            questionnaire=questionnaire,
            key=dim["key"],
            label=dim["label"],
            description=dim["description"],
            weight=Decimal(str(dim["weight"])),
            order=order,
        )
        row.frameworks.set([refs[r] for r in dim["frameworks"]])
        dimensions[dim["key"]] = row

    Threshold.objects.bulk_create(
        Threshold(questionnaire=questionnaire, verdict=verdict, min_score=Decimal(str(score)))
        for verdict, score in document["thresholds"].items()
    )

    weights = []
    for s_order, section in enumerate(document["sections"]):
        section_row = Section.objects.create(
            questionnaire=questionnaire,
            key=section["key"],
            title=section["title"],
            intro=section["intro"],
            order=s_order,
        )
        for q_order, q in enumerate(section["questions"]):
            question = Question.objects.create(
                questionnaire=questionnaire,
                section=section_row,
                key=q["key"],
                text=q["text"],
                help_text=q["help"],
                control=q["control"],
                core=q["core"],
                show_if=q["show_if"],
                order=q_order,
            )
            question.frameworks.set([refs[r] for r in q["frameworks"]])
            choices = Choice.objects.bulk_create(
                Choice(question=question, key=c["key"], label=c["label"], order=c_order)
                for c_order, c in enumerate(q["choices"])
            )
            for choice, c in zip(choices, q["choices"], strict=True):
                weights.extend(
                    ChoiceWeight(
                        choice=choice, dimension=dimensions[dim], points=Decimal(str(points))
                    )
                    for dim, points in c["weights"].items()
                )
    ChoiceWeight.objects.bulk_create(weights)

    for order, rule in enumerate(document["rules"]):
        row = Rule.objects.create(
            questionnaire=questionnaire,
            key=rule["id"],
            cap=rule["cap"],
            reason=rule["reason"],
            condition=rule["when"],
            order=order,
        )
        row.frameworks.set([refs[r] for r in rule["frameworks"]])

    OwnershipCondition.objects.bulk_create(
        OwnershipCondition(
            questionnaire=questionnaire,
            key=c["id"],
            title=c["title"],
            condition=c["when"],
            order=order,
        )
        for order, c in enumerate(document["ownership_conditions"])
    )
    return LoadOutcome(questionnaire, created=True)
