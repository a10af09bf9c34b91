"""The questionnaire studio's services: start a draft, save one item of it, publish it.

Every save goes through `draft_edit`: it locks the draft, refuses a stale form (the draft's
revision moved since the page was opened), applies the change to the rows, recompiles and
validates the whole bank (`loading.questionnaire_refresh`, i.e. `bank.parse_bank`) and bumps the
revision, in one transaction: a bank the validator refuses leaves nothing saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from assessor import bank, engine
from assessor.bank import loading
from assessor.dashboard import examples
from assessor.models import (
    Choice,
    ChoiceWeight,
    Dimension,
    Membership,
    OwnershipCondition,
    Question,
    Questionnaire,
    Rule,
    Section,
    Team,
    Threshold,
)
from assessor.records.guard import ImmutableQuestionnaire
from assessor.records.selectors import answers_known
from assessor.records.validators import draft_label_problem
from assessor.studio import impact
from assessor.teams import access

VERSION_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,49}$")


@dataclass(frozen=True)
class DraftSave:
    """One save of a draft: who made it and when."""

    by: str
    at: datetime


class StaleDraft(Exception):
    """Someone saved the draft after this form was opened; nothing was saved."""

    def __init__(
        self,
        revision: int,
        changes: list[str],
        by: list[str],
        saves: list[DraftSave] | tuple = (),
    ):
        super().__init__("the draft changed since this page was opened")
        self.revision = revision
        self.changes = changes
        self.by = by
        self.saves = list(saves)  # oldest first


class NotADraft(Exception):
    """Published and retired versions are read only."""


class ReviewRequired(Exception):
    """Publishing this draft changes verdicts: a second questionnaire admin must approve it."""


@transaction.atomic
def draft_start(*, source: Questionnaire) -> Questionnaire:
    """A new draft with the content of `source`. Its label says it is a draft; the real name
    is given when it is published."""
    return loading.questionnaire_clone(source)


def version_name_problem(name: str) -> str | None:
    """Why `name` cannot be a published version's name, or None."""
    if not VERSION_NAME.match(name):
        return (
            "Give a version name of letters, digits, dots, hyphens or underscores "
            "(up to 50), e.g. 2026.3."
        )
    problem = draft_label_problem(name)
    if problem:
        return problem
    if Questionnaire.objects.filter(version=name).exists():
        return f"Version {name} already exists; every version needs its own name."
    return None


def _fields_changed(row) -> str:
    """': text now “Stop button?”, help': the fields a history row changed, with short new
    values (a long one is only named, so the message stays readable)."""
    previous = row.prev_record
    if row.history_type != "~" or previous is None:
        return ""
    named = []
    for change in row.diff_against(previous).changes:
        field = row.instance._meta.get_field(change.field)
        name, value = str(field.verbose_name), change.new
        if isinstance(value, str | int | float | Decimal | bool) and len(str(value)) <= 60:
            named.append(f"{name} now “{value}”")
        else:
            named.append(name)
    return f": {', '.join(named)}" if named else ""


def _changes_since(draft: Questionnaire, revision: int) -> tuple[list[str], list[str]]:
    """What was saved in the draft after `revision`, and by whom (from the rows' history)."""
    # The save that reached `revision` (or the start of the draft): its first history row.
    # Later rows at the same revision are the next save's own writes, so not the mark.
    mark = (
        draft.history.filter(revision=revision)
        .exclude(history_type="+")
        .order_by("history_date")
        .first()
    )
    since = mark.history_date if mark is not None else draft.created_at
    questions = Question.objects.filter(questionnaire=draft).values("pk")
    choices = Choice.objects.filter(question__questionnaire=draft).values("pk")
    histories = [
        (Section.history.filter(questionnaire_id=draft.pk), "section"),
        (Question.history.filter(questionnaire_id=draft.pk), "question"),
        (Choice.history.filter(question_id__in=questions), "choice"),
        (ChoiceWeight.history.filter(choice_id__in=choices), "points"),
        (Dimension.history.filter(questionnaire_id=draft.pk), "dimension"),
        (Threshold.history.filter(questionnaire_id=draft.pk), "threshold"),
        (Rule.history.filter(questionnaire_id=draft.pk), "rule"),
        (OwnershipCondition.history.filter(questionnaire_id=draft.pk), "condition"),
    ]
    actions = {"+": "added", "-": "removed"}
    changes, by = [], set()
    for rows, what in histories:
        for row in rows.filter(history_date__gt=since).select_related("history_user"):
            fields = _fields_changed(row)
            action = actions.get(row.history_type, "" if fields else "changed")
            changes.append(f"{what} {row.instance}{' ' + action if action else ''}{fields}")
            if row.history_user:
                by.add(str(row.history_user))
    return changes, sorted(by)


def _saves_since(draft: Questionnaire, revision: int) -> list[DraftSave]:
    """Each save of the draft after `revision` (every save bumps the revision), oldest first."""
    rows = draft.history.filter(revision__gt=revision).select_related("history_user")
    return [
        DraftSave(str(row.history_user) if row.history_user else "", row.history_date)
        for row in rows.order_by("history_date")
    ]


@transaction.atomic
def draft_edit(
    *, draft: Questionnaire, revision: int, change: Callable[[], None], user=None
) -> int:
    """Apply `change` (row writes) to `draft` if it is still at `revision`; the new revision.
    `user` is who saves (kept with the revision, so a stale form can name them).

    StaleDraft if someone saved in between, NotADraft for a published or retired version,
    BankError (nothing saved) if the whole bank no longer validates.
    """
    locked = Questionnaire.objects.select_for_update().get(pk=draft.pk)
    if locked.status != Questionnaire.Status.DRAFT:
        raise NotADraft(f"Version {locked.version} is {locked.status}: it is read only.")
    if locked.revision != revision:
        changes, by = _changes_since(locked, revision)
        raise StaleDraft(locked.revision, changes, by, _saves_since(locked, revision))
    change()
    loading.questionnaire_refresh(locked)
    locked.revision += 1
    if user is not None:
        locked._history_user = user  # simple-history's hook; a request sets it too
    # A publication requested before this edit was for other content: the request lapses.
    locked.save(update_fields=["revision", *_request_cleared(locked)])
    draft.revision = locked.revision
    draft.document, draft.content_hash = locked.document, locked.content_hash
    return locked.revision


# --- the row changes a form asks for ------------------------------------------------------


def fields_set(row, **values) -> Callable[[], None]:
    """A change that sets plain fields of one bank row."""

    def change():
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=list(values))

    return change


# The studio's per-item edits, each named: a view hands `draft_edit` the change one returns,
# built from the form's cleaned data once the form is valid.
QUESTION_FIELDS = ("text", "help_text", "control", "scope", "optional")


def section_edit(section, data: dict) -> Callable[[], None]:
    return fields_set(section, title=data["title"], intro=data["intro"])


def question_edit(question, data: dict) -> Callable[[], None]:
    return fields_set(question, **{name: data[name] for name in QUESTION_FIELDS})


def dimension_edit(dimension, data: dict) -> Callable[[], None]:
    return fields_set(dimension, label=data["label"], weight=data["weight"])


def thresholds_edit(draft: Questionnaire, data: dict) -> Callable[[], None]:
    return thresholds_set(draft, {verdict: data[verdict] for verdict in ("supervised", "owner")})


def rule_delete(rule: Rule) -> Callable[[], None]:
    """The change that deletes a rule (its framework links go with it)."""
    return rule.delete


def thresholds_set(draft: Questionnaire, scores: dict[str, Decimal]) -> Callable[[], None]:
    def change():
        for verdict, score in scores.items():
            Threshold.objects.filter(questionnaire=draft, verdict=verdict).update(min_score=score)

    return change


def table_set(
    question: Question, labels: dict[str, str], points: dict[tuple[str, str], Decimal | None]
):
    """A question's choice labels (choice key -> label) and points per (choice key, dimension
    key); None removes that weight."""

    def change():
        choices = {c.key: c for c in question.choices.all()}
        for key, label in labels.items():
            if choices[key].label != label:
                choices[key].label = label
                choices[key].save(update_fields=["label"])
        dims = {d.key: d for d in Dimension.objects.filter(questionnaire=question.questionnaire)}
        for (choice_key, dim_key), value in points.items():
            rows = ChoiceWeight.objects.filter(choice=choices[choice_key], dimension=dims[dim_key])
            if value is None:
                rows.delete()
            elif not rows.update(points=value):
                ChoiceWeight.objects.create(
                    choice=choices[choice_key], dimension=dims[dim_key], points=value
                )

    return change


def rule_set(draft: Questionnaire, rule: Rule | None, values: dict) -> Callable[[], None]:
    """Create (rule None) or change a rule: key, kind (cap or floor), level, reason,
    condition, frameworks."""

    def change():
        row = rule or Rule(questionnaire=draft, order=draft.rules.count())
        row.key, row.cap, row.reason = values["key"], values["cap"], values["reason"]
        row.kind = values.get("kind") or Rule.Kind.CAP
        row.condition = values["condition"]
        row.save()
        row.frameworks.set(values["frameworks"])

    return change


# --- publishing -------------------------------------------------------------------------------


REQUEST_FIELDS = (
    "publish_requested_by",
    "publish_requested_at",
    "publish_request_name",
    "publish_request_note",
)


def _request_cleared(draft: Questionnaire) -> list[str]:
    """Drop the draft's pending publication request (in memory); the fields to save."""
    draft.publish_requested_by = draft.publish_requested_at = None
    draft.publish_request_name = draft.publish_request_note = ""
    return list(REQUEST_FIELDS)


def bank_admin_count() -> int:
    """How many active people are questionnaire admins, in any team."""
    return (
        Membership.objects.filter(questionnaire_admin=True, user__is_active=True)
        .values("user")
        .distinct()
        .count()
    )


def changes_verdicts(draft: Questionnaire) -> bool:
    """Whether publishing `draft` would give any record, in any team, another verdict."""
    return impact.impact_preview(draft, readable=Team.objects.none()).changed > 0


def _full_preview(draft: Questionnaire) -> impact.Impact:
    """The impact preview naming every team's records: it answers the four-eyes question and
    then says which approvals to re-review once published (one pass over the records)."""
    return impact.impact_preview(draft, readable=Team.objects.all())


def publish_needs_review(draft: Questionnaire) -> bool:
    """Four eyes: a draft that changes verdicts needs a second questionnaire admin, where the
    installation has one."""
    return bank_admin_count() > 1 and changes_verdicts(draft)


def _checked_draft(draft: Questionnaire) -> Questionnaire:
    locked = Questionnaire.objects.select_for_update().get(pk=draft.pk)
    if locked.status != Questionnaire.Status.DRAFT:
        raise NotADraft(f"Version {locked.version} is {locked.status}: it is already out.")
    return locked


def _checked_name_and_note(name: str, note: str) -> None:
    problem = version_name_problem(name)
    if problem:
        raise ValueError(problem)
    if not note.strip():
        raise ValueError("Write a release note: what changed and why.")


def _publish(
    locked: Questionnaire,
    *,
    name: str,
    note: str,
    user,
    alone: bool,
    reviewed: bool,
    preview: impact.Impact | None = None,
) -> Questionnaire:
    """Publish under `name`; a version published `reviewed` keeps who requested it."""
    locked.version, locked.release_note, locked.published_by = name, note.strip(), user
    locked.published_without_review = alone
    cleared = [] if reviewed else _request_cleared(locked)
    locked.save(
        update_fields=[
            "version",
            "release_note",
            "published_by",
            "published_without_review",
            *cleared,
        ]
    )
    try:
        loading.questionnaire_publish(locked, preview=preview)
    except ImmutableQuestionnaire as error:  # another version was published meanwhile
        raise NotADraft(" ".join(error.messages)) from error
    return locked


@transaction.atomic
def draft_publish(*, draft: Questionnaire, name: str, note: str, user) -> Questionnaire:
    """Give the draft its real name and release note, then publish it (the published version
    retires). ValueError with a reason for a bad name; NotADraft; BankError if invalid;
    ReviewRequired if it changes verdicts and another questionnaire admin exists to review it
    (`draft_publish_request`). The only admin publishes alone, and the version says so."""
    locked = _checked_draft(draft)
    _checked_name_and_note(name, note)
    preview = _full_preview(locked)
    changes = preview.changed > 0
    if changes and bank_admin_count() > 1:
        raise ReviewRequired(
            "This version changes verdicts: request publication, and another questionnaire "
            "admin approves it (four eyes)."
        )
    return _publish(
        locked, name=name, note=note, user=user, alone=changes, reviewed=False, preview=preview
    )


@transaction.atomic
def draft_publish_request(*, draft: Questionnaire, name: str, note: str, user) -> Questionnaire:
    """Ask a second questionnaire admin to publish the draft under `name` with `note`. The
    request lapses if the draft is edited before it is approved."""
    locked = _checked_draft(draft)
    _checked_name_and_note(name, note)
    locked.publish_requested_by, locked.publish_requested_at = user, timezone.now()
    locked.publish_request_name, locked.publish_request_note = name, note.strip()
    locked.save(update_fields=list(REQUEST_FIELDS))
    return locked


@transaction.atomic
def draft_publish_approve(*, draft: Questionnaire, user) -> Questionnaire:
    """Publish the draft as requested, by a questionnaire admin other than the requester."""
    if not access.bank_editor(user):
        raise PermissionDenied("Only a questionnaire admin approves a publication.")
    locked = _checked_draft(draft)
    if locked.publish_requested_by_id is None:
        raise ValueError("Nobody has requested publication of this draft (or it was edited since).")
    if locked.publish_requested_by_id == user.pk:
        raise ValueError(
            "Four eyes: you requested this publication, so another questionnaire admin must "
            "approve it."
        )
    name, note = locked.publish_request_name, locked.publish_request_note
    _checked_name_and_note(name, note)  # the name may have been taken meanwhile
    return _publish(locked, name=name, note=note, user=user, alone=False, reviewed=True)


# --- reference examples under a proposed bank ---------------------------------------------------


@dataclass(frozen=True)
class ExampleScore:
    name: str
    score_before: float | None
    score_after: float | None
    verdict_before: str
    verdict_after: str

    @property
    def moved(self) -> bool:
        return (self.score_before, self.verdict_before) != (self.score_after, self.verdict_after)


def _example_results(document: dict) -> list[engine.Result]:
    model = bank.build_model(document)
    results = []
    for example in examples.EXAMPLES:
        answers = answers_known(model, {**examples.SAFEST, **example["answers"]})
        results.append(engine.evaluate(model, answers, plan=False))
    return results


def examples_preview(before: dict, after: dict) -> list[ExampleScore]:
    """How the reference examples' scores and verdicts move from `before` to `after`."""
    return [
        ExampleScore(
            example["name"],
            old.score,
            new.score,
            engine.VERDICT_LABELS[old.verdict],
            engine.VERDICT_LABELS[new.verdict],
        )
        for example, old, new in zip(
            examples.EXAMPLES, _example_results(before), _example_results(after), strict=True
        )
    ]


def document_with_table(
    draft: Questionnaire, question_key: str, labels: dict[str, str], weights: dict
) -> dict:
    """The draft's bank (read from its rows) with one question's choice labels and weights
    replaced (choice key -> {dimension: points}), validated as a whole: BankError if refused."""
    raw = loading.bank_from_rows(draft)
    for section in raw["sections"]:
        for question in section["questions"]:
            if question["key"] == question_key:
                for choice in question["choices"]:
                    choice["label"] = labels.get(choice["key"], choice["label"])
                    choice["weights"] = weights.get(choice["key"], {})
    return bank.parse_bank(raw)
