"""Building the report: one context feeds the HTML report and (later) the PDF, so they agree."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils import timezone

from . import access, autonomy_scales, brief, findings, scoring, selectors
from .history import CARRIED_OVER
from .models import Answer, Assessment, Decision, ExportRecord
from .oversight.cycle import interval_days
from .oversight.selectors import SUPERSEDED, review_status

HISTORY_TEXT_LIMIT = 160

CHART_LABEL_WIDTH = 190
CHART_BAR_WIDTH = 300
CHART_ROW_HEIGHT = 30


@dataclass(frozen=True)
class ChartBar:
    key: str
    label: str
    value: float | None
    y: int
    width: float
    text_y: int


def safe_link(url: str) -> str:
    """An evidence link fit to render as a hyperlink: http or https only, else nothing."""
    return url if url and urlsplit(url).scheme in {"http", "https"} else ""


def dimension_chart(model: scoring.ScoringModel, result: scoring.Result) -> dict:
    """Coordinates for a plain SVG bar chart that needs no JavaScript (and works in the PDF)."""
    bars = []
    for row, dim in enumerate(model.dimensions):
        value = result.dimensions.get(dim.key)
        y = 10 + row * CHART_ROW_HEIGHT
        bars.append(
            ChartBar(
                key=dim.key,
                label=dim.label,
                value=value,
                y=y,
                width=round(CHART_BAR_WIDTH * (value or 0) / 100, 1),
                text_y=y + 15,
            )
        )
    return {
        "bars": bars,
        "label_width": CHART_LABEL_WIDTH,
        "bar_width": CHART_BAR_WIDTH,
        "value_x": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 8,
        "width": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 50,
        "height": 20 + len(bars) * CHART_ROW_HEIGHT,
        "ticks": [
            {"x": CHART_LABEL_WIDTH + CHART_BAR_WIDTH * t / 100, "label": t} for t in (0, 50, 100)
        ],
    }


def frameworks_grouped(citations: list[findings.Citation]) -> list[dict]:
    """Every cited reference, grouped by framework, each with what it is cited for."""
    groups: dict[str, list[findings.Citation]] = {}
    for citation in citations:
        groups.setdefault(citation.ref.framework, []).append(citation)
    return [{"framework": name, "entries": entries} for name, entries in groups.items()]


def answered_sections(assessment, result: scoring.Result, answers: dict[str, Answer]):
    """Every section with each visible question, its answer, note and evidence link; an
    optional question left unanswered is marked so (it counts for nothing)."""
    model = assessment.scoring_model()
    visible = {q.key for q in scoring.visible_questions(model, result.answers)}
    sections = []
    for section in assessment.document["sections"]:
        rows = []
        for question in section["questions"]:
            if question["key"] not in visible:
                continue
            answer = answers.get(question["key"])
            assumed = question["key"] in result.assumed
            # A shown follow-up left unanswered is scored at its riskiest choice: say so.
            choice = (
                question["choices"][-1]["key"] if assumed else result.answers.get(question["key"])
            )
            labels = {c["key"]: c["label"] for c in question["choices"]}
            rows.append(
                {
                    "key": question["key"],
                    "text": question["text"],
                    "core": question["core"],
                    "choice": choice,
                    "assumed": assumed,
                    "optional": question.get("optional", False),
                    "choice_label": labels.get(choice, ""),
                    "note": answer.note if answer and choice and not assumed else "",
                    "evidence_url": (
                        safe_link(answer.evidence_url) if answer and choice and not assumed else ""
                    ),
                }
            )
        sections.append({"key": section["key"], "title": section["title"], "rows": rows})
    return sections


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


def _answer_row_entries(model: scoring.ScoringModel, row, before) -> list[HistoryEntry]:
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


def _findings_context(model, result, reasons, areas) -> dict:
    """Each finding with the references it touches, and the changes that would lift the
    verdict with the reasons (by number) each one resolves, the most decisive first."""
    number = {rule: reason.number for reason in reasons for rule in reason.rules or (reason.rule,)}
    refs_of = findings.condition_refs(model)
    return {
        "weak_areas": areas,
        "decision_refs": findings.decision_refs(model),
        "citations": findings.citations(model, result, reasons, areas),
        "conditions": [
            {"status": c, "refs": () if c.met else refs_of.get(c.id, ())} for c in result.conditions
        ],
        "changes": [
            {
                "change": change,
                # one number per reason, however many of its merged rules the change clears
                "resolves": list(
                    dict.fromkeys(number[r] for r in change.rules_cleared if r in number)
                ),
            }
            for change in scoring.changes_by_effect(model, result)
        ],
    }


def report_context(
    assessment: Assessment,
    answers: dict[str, Answer] | None = None,
    top_reasons: int | None = None,
    with_history: bool = True,
) -> dict:
    """Everything the report shows. `answers` may be passed in to save a query; `top_reasons`
    limits the rules listed in the summary (the PDF's first page), most severe first."""
    if answers is None:
        answers = selectors.answers_of(assessment)
    model = assessment.scoring_model()
    result = selectors.evaluate(assessment, selectors.choices_of(answers))
    decisions = list(assessment.decisions.select_related("actor"))
    approvals = [d for d in decisions if d.action == Decision.Action.APPROVED]
    review = review_status(assessment, approvals[-1].created_at if approvals else None)
    # Most severe first, the conditions for ownership after the bank's rules: the top lead.
    reasons = findings.reasons(model, result)
    top_rules = reasons if top_reasons is None else reasons[:top_reasons]
    areas = findings.weak_areas(model, assessment.document, result)
    cited = _findings_context(model, result, reasons, areas)
    return {
        "assessment": assessment,
        "rules_sorted": reasons,
        "top_rules": top_rules,
        "more_rules": len(reasons) - len(top_rules),
        "cap_count": sum(not reason.floor for reason in reasons),
        **cited,
        "brief": brief.build(
            status=assessment.status,
            result=result,
            thresholds=model.thresholds,
            decisions=decisions,
            team=assessment.team.name,
            interval_days=interval_days(assessment.team),
            review_by=review.review_by if review else None,
        ),
        "review": review,
        "questionnaire": assessment.questionnaire,
        "result": result,
        "complete": result.complete,
        **_open_questions_context(assessment, model, result, answers),
        **_verdict_context(model, result),
        "chart": dimension_chart(model, result),
        "autonomy_scales": autonomy_scales.placements(result.verdict) if result.complete else (),
        "frameworks": frameworks_grouped(cited["citations"]),
        "sections": answered_sections(assessment, result, answers),
        **_review_context(assessment, decisions),
        "history": history_entries(assessment, decisions) if with_history else [],
        "bank_version": assessment.document["version"],
        "bank_title": assessment.document["title"],
        "snapshot": assessment.snapshot_document is not None,
        "generated_at": timezone.now(),
    }


def _open_questions_context(assessment, model, result, answers) -> dict:
    """What is left open: core questions missing (with their step), follow-ups assumed at
    their riskiest, and the scope answers that keep the verdict from going higher."""
    question_text = {q.key: q.text for q in model.questions}
    steps = selectors.steps_of(assessment, selectors.choices_of(answers))
    return {
        "missing": [
            {
                "key": key,
                "text": question_text[key],
                "step": next(s.number for s in steps if key in s.visible_keys),
            }
            for key in result.missing
        ],
        "assumed": [{"key": key, "text": question_text[key]} for key in result.assumed],
        "optional_unanswered": [
            {"key": key, "text": question_text[key]} for key in result.optional_unanswered
        ],
        "blocked_by": [
            {
                "key": key,
                "text": question_text[key],
                "label": _now_label(model, result, key),
                "assumed": key in result.assumed,
            }
            for key in result.next_level_blocked_by
        ],
        **_control_gaps_context(model, result),
    }


def _now_label(model: scoring.ScoringModel, result: scoring.Result, key: str) -> str:
    """The label of the answer a blocking scope question counts as: the one given, or for a
    shown follow-up left unanswered, its riskiest (`assumed` in the context says so)."""
    question = model.question_map[key]
    return question.choice_map[result.answers.get(key) or question.riskiest.key].label


def _control_gaps_context(model, result) -> dict:
    """When scope blocks the next level: the rules on controls alone that a narrower scope
    would leave standing, and the level they would still hold the verdict at."""
    gaps = [findings.short_reason(model, gap) for gap in result.control_gaps]
    held_at = min((g.cap for g in gaps), key=scoring.VERDICT_RANK.__getitem__, default="")
    return {"control_gaps": gaps, "gaps_hold_at": held_at}


def _verdict_context(model: scoring.ScoringModel, result: scoring.Result) -> dict:
    return {
        # A floor set the verdict above what the score alone gives.
        "lifted": scoring.VERDICT_RANK[result.verdict] > scoring.VERDICT_RANK[result.score_verdict],
        "verdict_label": scoring.VERDICT_LABELS[result.verdict],
        "verdict_meaning": scoring.VERDICT_MEANINGS[result.verdict],
        "next_label": (
            scoring.VERDICT_LABELS[result.next_level_target] if result.next_level_target else ""
        ),
        "thresholds": model.thresholds,
    }


def _review_context(assessment: Assessment, decisions: list[Decision]) -> dict:
    """The decisions, the sign-off trail among them, the return comment and the submission."""
    review = [d for d in decisions if d.action in REVIEW_ACTIONS]
    return {
        "decisions": decisions,
        "review_decisions": review,
        "review_note": selectors.review_note(assessment, review),
        "submission": next(
            (d for d in reversed(review) if d.action == Decision.Action.SUBMITTED), None
        ),
    }


def report_page_context(assessment: Assessment, user) -> dict:
    """The report page's whole state: the report (its history has a page of its own) and
    what this reader may do on it, from their roles in the record's team."""
    context = report_context(assessment, with_history=False)
    submission = context["submission"]
    submitter = submission.actor if submission else None
    may_edit = access.allowed(assessment, access.EDIT)
    review = context["review"]
    return {
        **context,
        # a reviewer or approver of the team asks for a re-review of a standing approval
        "can_request_review": review is not None
        and review.state != SUPERSEDED
        and (may_edit or access.allowed(assessment, access.APPROVE)),
        "can_edit": may_edit,
        # links into the wizard only for someone who may save there, on an open record
        "can_answer": may_edit and not assessment.is_locked,
        "can_approve": access.allowed(assessment, access.APPROVE)
        and submitter is not None
        and submitter.pk != user.pk
        and user.pk not in selectors.answer_editors(assessment),
        "submitter": submitter,
        # for the approver of a resubmission: what changed since they (or a colleague) returned it
        "last_return": next(
            (
                d
                for d in reversed(context["review_decisions"])
                if d.action == Decision.Action.RETURNED
            ),
            None,
        ),
        "changes_since_return": selectors.changes_since_return(assessment, context["decisions"]),
    }
