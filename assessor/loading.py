"""Loading a validated bank document into the database (one transaction, idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import bank
from .immutability import ImmutableQuestionnaire
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
from .validators import bank_document_problems, draft_label_problem


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
    With `publish`, the rows are written as a draft, then the version is published and the
    previously published one retires, in this transaction.
    """
    problems = bank_document_problems(document)
    if problems:
        raise bank.BankError(problems)
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
    questionnaire = Questionnaire.objects.create(
        version=document["version"],
        title=document["title"],
        description=document["description"],
        status=Questionnaire.Status.DRAFT,
        document=document,
        content_hash=content_hash,
        framework_notes={
            ref: entry["note"] for ref, entry in document["frameworks"].items() if "note" in entry
        },
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
                scope=q.get("scope", False),
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
            reason=c.get("reason", ""),
            order=order,
        )
        for order, c in enumerate(document["ownership_conditions"])
    )
    if publish:
        _publish(questionnaire)
    return LoadOutcome(questionnaire, created=True)


# --- from rows back to a bank: export, refresh after edits, clone, publish ------------------


def _number(value):
    """Decimal from the database to a plain YAML number (2, not 2.00; 1.5 stays 1.5)."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def bank_from_rows(questionnaire: Questionnaire) -> dict:
    """The questionnaire as a bank in the shipped YAML format, read from its rows.

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
        "dimensions": [
            {
                "key": d.key,
                "label": d.label,
                "description": d.description,
                "weight": _number(d.weight),
                "frameworks": sorted(f.ref for f in d.frameworks.all()),
            }
            for d in dimensions
        ],
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
        "rules": [
            {
                "id": r.key,
                "cap": r.cap,
                "when": r.condition,
                "reason": r.reason,
                "frameworks": sorted(f.ref for f in r.frameworks.all()),
            }
            for r in rules
        ],
        "ownership_conditions": [
            {"id": c.key, "title": c.title, "when": c.condition, "reason": c.reason}
            for c in questionnaire.ownership_conditions.order_by("order")
        ],
        "framework_notes": dict(questionnaire.framework_notes or {}),
    }


def _question_raw(question: Question) -> dict:
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
    return raw


def questionnaire_refresh(questionnaire: Questionnaire) -> dict:
    """Recompile the stored document after the rows were edited; BankError if now invalid."""
    document = bank.parse_bank(bank_from_rows(questionnaire))
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        document=document,
        content_hash=bank.document_hash(document),
        title=document["title"],
        description=document["description"],
    )
    questionnaire.document = document
    questionnaire.content_hash = bank.document_hash(document)
    return document


@transaction.atomic
def questionnaire_clone(source: Questionnaire, *, version: str | None = None) -> Questionnaire:
    """A new draft with the same content as `source`, for admins to edit."""
    raw = bank_from_rows(source)
    if version is None:
        n = 1
        while Questionnaire.objects.filter(version=f"{source.version}-draft{n}").exists():
            n += 1
        version = f"{source.version}-draft{n}"
    raw["version"] = version
    return questionnaire_load(document=bank.parse_bank(raw), publish=False).questionnaire


def _publish(questionnaire: Questionnaire) -> None:
    """Retire the published version, then freeze this draft as the published one."""
    Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED).exclude(
        pk=questionnaire.pk
    ).update(status=Questionnaire.Status.RETIRED)
    questionnaire.status = Questionnaire.Status.PUBLISHED
    questionnaire.published_at = timezone.now()
    questionnaire.save(update_fields=["status", "published_at"])


@transaction.atomic
def questionnaire_publish(questionnaire: Questionnaire) -> None:
    """Make this draft the version new assessments use; the published version retires.

    Existing assessments stay pinned to the version they were started on. From here on the
    version never changes (see immutability.py); ImmutableQuestionnaire if it is not a draft.
    """
    stored = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if stored.status != Questionnaire.Status.DRAFT:
        raise ImmutableQuestionnaire(
            f"Not published: version {stored.version} is {stored.status}; only a draft can be "
            "published.",
            versions=[stored.version],
        )
    # Every route (studio, admin, command) gets the same refusal: a draft is renamed first.
    problem = draft_label_problem(stored.version)
    if problem:
        raise bank.BankError([f"version: {problem}"])
    questionnaire_refresh(questionnaire)
    _publish(questionnaire)


@transaction.atomic
def bank_rows_delete(*, rows: QuerySet) -> int:
    """Delete bank rows of drafts and recompile those drafts, or delete draft versions.

    BankError (and nothing deleted) if a draft would become invalid; ImmutableQuestionnaire if
    a row belongs to a published or retired version.
    """
    if rows.model is Questionnaire:
        return rows.delete()[0]
    drafts = list(Questionnaire.objects.filter(pk__in=rows.values(rows.model.questionnaire_path)))
    deleted = rows.delete()[0]
    for draft in drafts:
        questionnaire_refresh(draft)
    return deleted
