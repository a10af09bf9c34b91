"""Loading a validated bank document into the database (one transaction, idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessor import bank, events
from assessor.bank import bank_from_rows
from assessor.models import (
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
from assessor.oversight.services import review_requests_for_version
from assessor.records.guard import ImmutableQuestionnaire
from assessor.records.validators import bank_document_problems, draft_label_problem
from assessor.studio.impact import Impact


class VersionConflict(bank.BankError):
    pass


@dataclass(frozen=True)
class LoadOutcome:
    questionnaire: Questionnaire
    created: bool


def framework_references_sync(catalog: dict[str, dict[str, str]]) -> dict[str, FrameworkReference]:
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
def questionnaire_load(
    *, document: dict, publish: bool, published_by_command: str = ""
) -> LoadOutcome:
    """Store a parsed bank document as a questionnaire version.

    Loading a document already stored changes nothing. A version label already used by
    different content is refused rather than overwritten: assessments are pinned to versions.
    With `publish`, the rows are written as a draft, then the version is published and the
    previously published one retires, in this transaction; `published_by_command` names the
    command (and operator) that published it, for the versions page.
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
    refs = framework_references_sync(bank.load_catalog())
    questionnaire = _create_questionnaire(document, content_hash, refs)
    if publish and published_by_command:
        questionnaire.published_by_command = published_by_command[:150]
        questionnaire.save(update_fields=["published_by_command"])
    dimensions = _create_dimensions(questionnaire, document["dimensions"], refs)
    _create_thresholds(questionnaire, document["thresholds"])
    _create_sections(questionnaire, document["sections"], dimensions, refs)
    _create_rules(questionnaire, document["rules"], refs)
    _create_ownership_conditions(questionnaire, document["ownership_conditions"])
    if publish:
        _publish(questionnaire)
    return LoadOutcome(questionnaire, created=True)


# --- one part of the bank each, written as rows of a new draft ------------------------------

References = dict[str, FrameworkReference]


def _create_questionnaire(document: dict, content_hash: str, refs: References) -> Questionnaire:
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
    return questionnaire


def _create_dimensions(
    questionnaire: Questionnaire, dimensions: list[dict], refs: References
) -> dict[str, Dimension]:
    rows = {}
    for order, dim in enumerate(dimensions):
        row = Dimension.objects.create(
            questionnaire=questionnaire,
            key=dim["key"],
            label=dim["label"],
            description=dim["description"],
            weight=Decimal(str(dim["weight"])),
            order=order,
        )
        row.frameworks.set([refs[r] for r in dim["frameworks"]])
        rows[dim["key"]] = row
    return rows


def _create_thresholds(questionnaire: Questionnaire, thresholds: dict) -> None:
    Threshold.objects.bulk_create(
        Threshold(questionnaire=questionnaire, verdict=verdict, min_score=Decimal(str(score)))
        for verdict, score in thresholds.items()
    )


def _create_sections(
    questionnaire: Questionnaire,
    sections: list[dict],
    dimensions: dict[str, Dimension],
    refs: References,
) -> None:
    """Sections, their questions and choices; every choice's weights in one insert at the end."""
    weights = []
    for s_order, section in enumerate(sections):
        section_row = Section.objects.create(
            questionnaire=questionnaire,
            key=section["key"],
            title=section["title"],
            intro=section["intro"],
            order=s_order,
        )
        for q_order, q in enumerate(section["questions"]):
            question = _create_question(questionnaire, section_row, q, q_order, refs)
            weights += _create_choices(question, q["choices"], dimensions)
    ChoiceWeight.objects.bulk_create(weights)


def _create_question(
    questionnaire: Questionnaire, section: Section, q: dict, order: int, refs: References
) -> Question:
    question = Question.objects.create(
        questionnaire=questionnaire,
        section=section,
        key=q["key"],
        text=q["text"],
        help_text=q["help"],
        control=q["control"],
        core=q["core"],
        scope=q.get("scope", False),
        optional=q.get("optional", False),
        show_if=q["show_if"],
        order=order,
    )
    question.frameworks.set([refs[r] for r in q["frameworks"]])
    return question


def _create_choices(
    question: Question, choices: list[dict], dimensions: dict[str, Dimension]
) -> list[ChoiceWeight]:
    """The choice rows; their weights are returned unsaved, to be inserted with all others."""
    rows = Choice.objects.bulk_create(
        Choice(question=question, key=c["key"], label=c["label"], order=c_order)
        for c_order, c in enumerate(choices)
    )
    return [
        ChoiceWeight(choice=choice, dimension=dimensions[dim], points=Decimal(str(points)))
        for choice, c in zip(rows, choices, strict=True)
        for dim, points in c["weights"].items()
    ]


def _create_rules(questionnaire: Questionnaire, rules: list[dict], refs: References) -> None:
    """Caps and floors, in the document's order; a floor's level is stored in `cap`."""
    for order, rule in enumerate(rules):
        kind = Rule.Kind.FLOOR if "floor" in rule else Rule.Kind.CAP
        row = Rule.objects.create(
            questionnaire=questionnaire,
            key=rule["id"],
            kind=kind,
            cap=rule[kind],
            reason=rule["reason"],
            condition=rule["when"],
            order=order,
        )
        row.frameworks.set([refs[r] for r in rule["frameworks"]])


def _create_ownership_conditions(questionnaire: Questionnaire, conditions: list[dict]) -> None:
    OwnershipCondition.objects.bulk_create(
        OwnershipCondition(
            questionnaire=questionnaire,
            key=c["id"],
            title=c["title"],
            condition=c["when"],
            reason=c.get("reason", ""),
            order=order,
        )
        for order, c in enumerate(conditions)
    )


# --- from rows back to a bank (bank.dump): refresh after edits, clone, publish --------------


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
    draft = questionnaire_load(document=bank.parse_bank(raw), publish=False).questionnaire
    # A mark in the draft's history after its copied rows: what is saved since revision 1
    # starts here (studio._changes_since), not with the copy.
    draft._change_reason = f"draft started from {source.version}"
    draft.save(update_fields=["revision"])
    return draft


def _publish(questionnaire: Questionnaire) -> None:
    """Retire the published version, then freeze this draft as the published one."""
    Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED).exclude(
        pk=questionnaire.pk
    ).update(status=Questionnaire.Status.RETIRED)
    questionnaire.status = Questionnaire.Status.PUBLISHED
    questionnaire.published_at = timezone.now()
    questionnaire.save(update_fields=["status", "published_at"])
    # every way of publishing (studio, command, loader) passes here, so each is announced
    events.event_publish(
        events.QUESTIONNAIRE_PUBLISHED,
        team=None,
        payload={
            "version": questionnaire.version,
            "title": questionnaire.title,
            "published_at": questionnaire.published_at.isoformat(),
        },
    )


@transaction.atomic
def questionnaire_publish(questionnaire: Questionnaire, *, preview: Impact | None = None) -> None:
    """Make this draft the version new assessments use; the published version retires.

    Existing assessments stay pinned to the version they were started on. From here on the
    version never changes (see records/guard.py); ImmutableQuestionnaire if it is not a draft.
    `preview`: the draft's impact preview over every team, if the caller has one already.
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
    # Approvals whose verdict this version would change are asked to be reviewed again.
    review_requests_for_version(questionnaire, preview=preview)


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
