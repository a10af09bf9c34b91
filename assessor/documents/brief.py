"""Page 1 of the PDF: the executive brief a governance board reads, in its own words.

Functions over plain values (the status string, the result, the decisions already loaded):
no query here. The PDF's metadata is built from the same strings as page 1, so a
document index can never file a verdict the page does not give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from assessor import engine
from assessor.documents import autonomy_scales

# What each verdict lets the agent do, and what it does not: written for a board.
ALLOWS = {
    "copilot": (
        "Draft, triage and summarise requests, and gather the evidence a person needs to decide."
    ),
    "supervised": (
        "Prepare each change in full, ready to run, for a named person to check and approve."
    ),
    "owner": (
        "Run the workflow end to end as its own workload identity, inside runtime policy, with "
        "credentials issued for one run and revoked when it ends."
    ),
}
FORBIDS = {
    "copilot": (
        "Approve, grant, change or revoke anything: a person makes every decision and carries "
        "out every change."
    ),
    "supervised": (
        "Execute any change before a named person has approved it, or approve its own work."
    ),
    "owner": (
        "Act beyond the workflow's bounds, keep access after a run, or change the policy that "
        "governs it. If a condition for ownership stops being met, it falls back to Supervised."
    ),
}
# The mark printed on every page of a PDF that is not a signed-off record.
MARKS = {"draft": "DRAFT", "submitted": "AWAITING APPROVAL", "returned": "RETURNED FOR CHANGES"}
STATUS_WORDS = {
    "draft": "Draft",
    "submitted": "Awaiting approval",
    "approved": "Approved",
    "returned": "Returned for changes",
}
NO_VERDICT = "No verdict yet"
# Page 1 holds this much of the approver's comment; the detail's sign-off table holds it all.
COMMENT_ON_PAGE_ONE = 320


@dataclass(frozen=True)
class SignOff:
    who: str
    when: object  # a datetime
    comment: str = ""


@dataclass(frozen=True)
class Brief:
    headline: str  # "Verdict: Supervised" or "No verdict yet"
    verdict_label: str  # "" when there is no verdict
    mark: str  # "" once approved
    status: str
    decision_title: str
    decision_text: str
    allows: str
    forbids: str
    why: str
    submitted: SignOff | None
    approved: SignOff | None
    returned: SignOff | None
    next_review: date | None
    # The verdict on the published autonomy scales, one compact line on page 1.
    scales: tuple[autonomy_scales.Placement, ...] = ()
    # The approver's words a board must read with the verdict: the approval's conditions, or
    # while returned, what must change. Cut to fit page 1; `comment_cut` says it was.
    comment_title: str = ""
    comment: str = ""
    comment_cut: bool = False

    @property
    def subject(self) -> str:
        """The PDF's subject: the headline and the decision requested, as page 1 prints them."""
        marked = f"{self.mark_line}. " if self.mark else ""
        return f"{marked}{self.headline}. Decision requested: {self.decision_title}."

    @property
    def mark_line(self) -> str:
        return f"{self.mark}: not a signed-off record" if self.mark else ""

    def keywords(self, frameworks: list[str]) -> str:
        words = ["IAM", "AI agent", "autonomy assessment", self.verdict_label or NO_VERDICT]
        return ", ".join(words + [self.status] + frameworks)


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _who(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "unknown"


def _last(decisions, action: str) -> SignOff | None:
    found = [d for d in decisions if d.action == action]
    if not found:
        return None
    return SignOff(_who(found[-1].actor), found[-1].created_at, found[-1].comment or "")


def _page_one_comment(approved: SignOff | None, returned: SignOff | None) -> dict:
    if approved and approved.comment.strip():
        title, text = f"Approver’s conditions and comment ({approved.who})", approved.comment
    elif returned and returned.comment.strip():
        title, text = f"Returned for changes: what {returned.who} asked", returned.comment
    else:
        return {}
    text = " ".join(text.split())  # page 1 has no room for the comment's own line breaks
    cut = len(text) > COMMENT_ON_PAGE_ONE
    if cut:
        text = text[: COMMENT_ON_PAGE_ONE - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return {"comment_title": title, "comment": text, "comment_cut": cut}


def why(result: engine.Result, thresholds) -> str:
    """How the verdict was reached, without the engine's words (rules, caps, dimensions)."""
    label = engine.VERDICT_LABELS[result.verdict]
    strength = f"Its controls rate {result.score:g} out of 100 overall"
    own = engine.VERDICT_LABELS[result.score_verdict]
    if engine.VERDICT_RANK[result.verdict] > engine.VERDICT_RANK[result.score_verdict]:
        # A floor (a clear, enforced approval chain) set the verdict above the rating.
        return f"{strength}, enough for {own} on their own; the reasons below lift it to {label}."
    if result.decided_by == "rule":
        return f"{strength}, enough for {own} on their own; the reasons below hold it at {label}."
    if result.decided_by == "score and rule":
        return (
            f"{strength}, and the reasons below also hold it at {label}: both point the same way."
        )
    levels = (
        f"Supervised needs {thresholds['supervised']:g}, Bounded ownership {thresholds['owner']:g}"
    )
    return f"{strength} ({levels}): that rating decides the verdict."


def _decision(status, complete, label, missing, team, approved, next_review):
    if not complete:
        count = f"{missing} core question{'s' if missing != 1 else ''}"
        return (
            "not yet for decision",
            f"The assessment is unfinished: {count} still unanswered, so there is no verdict "
            "to decide on. It comes to the board once it is complete and submitted.",
        )
    if status == "approved":
        when = _day(timezone.localdate(approved.when)) if approved else "its approval"
        by = f" by {approved.who}" if approved else ""
        return (
            "none, this is the record of decision",
            f"Approved{by} on {when}: the agent may work on this workflow as {label} and no "
            f"further. Review it again by {_day(next_review)}, or sooner if the workflow, "
            "its systems or its controls change.",
        )
    if status == "submitted":
        return (
            f"approve {label} for this workflow, or return it",
            f"Approve {label} as the most autonomy the agent may have on this workflow, or "
            "return the assessment to its reviewer saying what must change. An approver of "
            f"team {team} who did not submit it signs it off.",
        )
    if status == "returned":
        return (
            "not yet for decision",
            "An approver returned this assessment for changes. It comes back to the board "
            "once the reviewer has made them and submitted it again.",
        )
    return (
        "not yet for decision",
        "This is a working draft: its reviewer has not submitted it for sign-off and the "
        "answers may still change. Nothing in it is approved.",
    )


def build(
    *, status, result, thresholds, decisions, team, interval_days: int, review_by=None
) -> Brief:
    """The brief; `review_by` is the approval's review-by date (oversight's computation),
    else the approval date plus `interval_days`."""
    complete = result.complete
    label = engine.VERDICT_LABELS[result.verdict] if complete else ""
    signed = status in ("submitted", "approved")
    approved = _last(decisions, "approved") if status == "approved" else None
    returned = None
    if not signed and decisions and decisions[-1].action == "returned":
        returned = _last(decisions, "returned")
    next_review = None
    if status == "approved" and review_by is not None:
        next_review = review_by
    elif status == "approved":
        base = timezone.localdate(approved.when) if approved else timezone.localdate()
        next_review = base + timedelta(days=interval_days)
    title, text = _decision(
        status, complete, label, len(result.missing), team, approved, next_review
    )
    return Brief(
        headline=f"Verdict: {label}" if complete else NO_VERDICT,
        verdict_label=label,
        mark="" if status == "approved" else MARKS.get(status, MARKS["draft"]),
        status=STATUS_WORDS.get(status, status.capitalize()),
        decision_title=title,
        decision_text=text,
        allows=ALLOWS[result.verdict] if complete else "",
        forbids=FORBIDS[result.verdict] if complete else "",
        why=why(result, thresholds) if complete else "",
        submitted=_last(decisions, "submitted") if signed else None,
        approved=approved,
        returned=returned,
        next_review=next_review,
        scales=autonomy_scales.placements(result.verdict) if complete else (),
        **_page_one_comment(approved, returned),
    )
