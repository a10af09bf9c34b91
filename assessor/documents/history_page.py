"""The history page: every change to a record (details, answers, decisions, exports) as dated
entries, grouped and filtered for the page and the report's review box.
"""

from __future__ import annotations

from dataclasses import dataclass

from assessor import engine
from assessor.models import Answer, Assessment, Decision, ExportRecord
from assessor.records.history import CARRIED_OVER

HISTORY_TEXT_LIMIT = 160


# The kinds of history entry, in the order the history page groups them.
HISTORY_KINDS = {
    "review": "Review decisions",
    "created": "Creation and reassessment",
    "answers": "Answers, notes and evidence links",
    "details": "Details and status",
    "exports": "Exports",
}
# The decisions the report shows in its review box: the sign-off trail, nothing else.
REVIEW_ACTIONS = (
    Decision.Action.SUBMITTED,
    Decision.Action.RETURNED,
    Decision.Action.APPROVED,
)


@dataclass(frozen=True)
class HistoryEntry:
    when: object
    who: str
    what: str
    before: str = ""
    after: str = ""
    kind: str = "details"


def _short(text: str) -> str:
    text = text or ""
    return text if len(text) <= HISTORY_TEXT_LIMIT else text[: HISTORY_TEXT_LIMIT - 1] + "…"


ASSESSMENT_FIELDS = (
    ("status", "Status"),
    ("name", "Workflow name"),
    ("description", "Description"),
    ("system", "System"),
    ("business_owner", "Business owner"),
)
ANSWER_FIELDS = (
    ("choice_key", "the answer to"),
    ("note", "the note on"),
    ("evidence_url", "the evidence link on"),
)


def _who(user) -> str:
    return user.get_username() if user else "system"


def _created(assessment: Assessment) -> str:
    """A revision's first event names the record it was made from."""
    if not assessment.previous_id:
        return "Created"
    return f"Created from revision {assessment.revision - 1} (answers carried over)"


def history_entries(assessment: Assessment, decisions=None) -> list[HistoryEntry]:
    """The record's audit trail, oldest first: answer, note, link, detail and status changes,
    review decisions and exports, each with who and when, and its kind (four queries in all).

    The answers a reassessment copied into a new revision are its starting point: they are
    folded into the one "Created from revision N" event, never listed as answers set."""
    if decisions is None:
        decisions = assessment.decisions.select_related("actor")
    entries = [
        *_record_entries(assessment),
        *_answer_entries(assessment),
        *_decision_entries(decisions),
        *_export_entries(assessment),
    ]
    entries.sort(key=lambda entry: entry.when)
    return entries


def _entry(when, user, what, before="", after="", kind="details") -> HistoryEntry:
    return HistoryEntry(when, _who(user), what, _short(before), _short(after), kind)


def _record_entries(assessment: Assessment) -> list[HistoryEntry]:
    """Its creation, then each change of status and details."""
    entries, previous = [], None
    for row in assessment.history.select_related("history_user").order_by("history_date", "pk"):
        if previous is None:
            entries.append(
                _entry(row.history_date, row.history_user, _created(assessment), kind="created")
            )
        for field, label in ASSESSMENT_FIELDS if previous else ():
            old, new = getattr(previous, field), getattr(row, field)
            if old != new:
                entries.append(_entry(row.history_date, row.history_user, label, old, new))
        previous = row
    return entries


def _answer_entries(assessment: Assessment) -> list[HistoryEntry]:
    """Each answer, note and link set, changed or removed; not those a reassessment carried."""
    model = assessment.scoring_model()
    entries = []
    seen: dict[int, object] = {}  # answer id -> its previous history row
    rows = Answer.history.filter(assessment_id=assessment.pk).select_related("history_user")
    for row in rows.order_by("history_date", "pk"):
        before = seen.get(row.id)
        seen[row.id] = row
        if row.history_change_reason != CARRIED_OVER:
            entries.extend(_answer_row_entries(model, row, before))
    return entries


def _answer_row_entries(model: engine.ScoringModel, row, before) -> list[HistoryEntry]:
    """What one answer history row changed, against the answer's row before it."""
    question = model.question_map.get(row.question_key)
    text = question.text if question else row.question_key

    def shown(field, value):
        if field == "choice_key" and question and value in question.choice_map:
            return question.choice_map[value].label
        return value

    if row.history_type == "-":
        return [
            _entry(
                row.history_date,
                row.history_user,
                f"Removed the answer to “{text}”",
                kind="answers",
            )
        ]
    entries = []
    for field, label in ANSWER_FIELDS:
        old = getattr(before, field) if before else ""
        new = getattr(row, field)
        if old != new:
            verb = "Set" if not old else "Changed"
            entries.append(
                _entry(
                    row.history_date,
                    row.history_user,
                    f"{verb} {label} “{text}”",
                    shown(field, old),
                    shown(field, new),
                    kind="answers",
                )
            )
    return entries


def _decision_entries(decisions) -> list[HistoryEntry]:
    return [
        _entry(
            decision.created_at,
            decision.actor,
            decision.get_action_display(),
            "",
            decision.comment,
            kind="review",
        )
        for decision in decisions
        # a reassessment is said by the revision's "Created from revision N" event
        if decision.action != Decision.Action.REASSESSED
    ]


def _export_entries(assessment: Assessment) -> list[HistoryEntry]:
    exports = ExportRecord.objects.filter(assessment=assessment).select_related("user")
    return [
        _entry(
            export.created_at,
            export.user,
            f"Exported: {export.get_kind_display()}",
            "",
            f"SHA-256 {export.sha256}",
            kind="exports",
        )
        for export in exports
    ]


def history_groups(entries: list[HistoryEntry], *, kind: str = "", who: str = "") -> list[dict]:
    """The entries matching the filters (empty: any), grouped by kind in HISTORY_KINDS order."""
    groups = []
    for key, title in HISTORY_KINDS.items():
        if kind and key != kind:
            continue
        rows = [entry for entry in entries if entry.kind == key and (not who or entry.who == who)]
        if rows:
            groups.append({"kind": key, "title": title, "entries": rows})
    return groups
