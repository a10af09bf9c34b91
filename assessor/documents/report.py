"""Building the report: one context feeds the HTML report and (later) the PDF, so they agree."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils import timezone

from assessor import engine
from assessor.documents import autonomy_scales, brief, findings
from assessor.documents.history_page import REVIEW_ACTIONS, history_entries
from assessor.evidence.selectors import evidence_appendix
from assessor.models import Answer, Assessment, Decision
from assessor.oversight.cycle import interval_days
from assessor.oversight.selectors import SUPERSEDED, review_status
from assessor.records import selectors
from assessor.teams import access

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


def dimension_chart(model: engine.ScoringModel, result: engine.Result) -> dict:
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


def answered_sections(assessment, result: engine.Result, answers: dict[str, Answer]):
    """Every section with each visible question, its answer, note and evidence link; an
    optional question left unanswered is marked so (it counts for nothing)."""
    model = assessment.scoring_model()
    visible = {q.key for q in engine.visible_questions(model, result.answers)}
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
            for change in engine.changes_by_effect(model, result)
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
        # listed, never embedded: name, answer, hash, size, who and when, the dates it counts
        "evidence_files": evidence_appendix(assessment),
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


def _now_label(model: engine.ScoringModel, result: engine.Result, key: str) -> str:
    """The label of the answer a blocking scope question counts as: the one given, or for a
    shown follow-up left unanswered, its riskiest (`assumed` in the context says so)."""
    question = model.question_map[key]
    return question.choice_map[result.answers.get(key) or question.riskiest.key].label


def _control_gaps_context(model, result) -> dict:
    """When scope blocks the next level: the rules on controls alone that a narrower scope
    would leave standing, and the level they would still hold the verdict at."""
    gaps = [findings.short_reason(model, gap) for gap in result.control_gaps]
    held_at = min((g.cap for g in gaps), key=engine.VERDICT_RANK.__getitem__, default="")
    return {"control_gaps": gaps, "gaps_hold_at": held_at}


def _verdict_context(model: engine.ScoringModel, result: engine.Result) -> dict:
    return {
        # A floor set the verdict above what the score alone gives.
        "lifted": engine.VERDICT_RANK[result.verdict] > engine.VERDICT_RANK[result.score_verdict],
        "verdict_label": engine.VERDICT_LABELS[result.verdict],
        "verdict_meaning": engine.VERDICT_MEANINGS[result.verdict],
        "next_label": (
            engine.VERDICT_LABELS[result.next_level_target] if result.next_level_target else ""
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
