"""Tamper evidence: each review decision is chained by hash to the one before it.

The guard (`locked_records`) refuses changes made through the models; this finds the ones made
around them (raw SQL, a restored backup, a hand-edited database). Each submit, return and
approval adds a `RecordLink` to the record's chain, in the review service's transaction: a
SHA-256 over the canonical JSON of what the record is at that moment (its answers, status,
the stored PDF's SHA-256), the decision (actor, action, comment, time) and the previous link's
hash. An approval's link is the approved snapshot: it is written once the PDF is stored, and
carries its hash.

`chain_verify` recomputes every link from its stored content and compares the record's rows
now with its chain: the decisions (none deleted, changed or added outside the chain), and,
for a submitted or approved record, its answers, status and stored PDF as the last link saw
them. Records reviewed before the chain existed were sealed as they stood by the migration
that created it (`chain_seal`); a record with review decisions but no link is reported as
"no chain yet", not as tampered, unless its decisions are newer than the chain itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.db.models import Min

from assessor.models import Answer, ApprovedReport, RecordLink

# The review actions that move a record, and so are chained (reassessing makes a new record).
CHAINED_ACTIONS = ("submitted", "returned", "approved")
LOCKED = ("submitted", "approved")
SEALED = "sealed"  # the kind of a link made by the migration, for a record reviewed before it

# What `chain_verify` names when the rows no longer match the chain.
ANSWERS, STATUS, PDF, HISTORY = "answers", "status", "stored PDF", "history"


def canonical(payload: dict) -> bytes:
    """The one byte form hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_digest(payload: dict, previous: str) -> str:
    return hashlib.sha256(canonical({**payload, "previous": previous})).hexdigest()


def _decision_entry(decision) -> dict:
    return {
        "id": decision.pk,
        "actor": decision.actor_id,
        "action": decision.action,
        "comment": decision.comment,
        "at": decision.created_at.isoformat(timespec="microseconds"),
    }


def _answers_entry(answers) -> list[list[str]]:
    return sorted([a.question_key, a.choice_key, a.note, a.evidence_url] for a in answers)


def _pdf_entry(report) -> str | None:
    """The stored PDF's SHA-256 as recorded, or None. A row whose bytes no longer hash to its
    recorded SHA-256 gives both, so it cannot match a link."""
    if report is None:
        return None
    actual = hashlib.sha256(bytes(report.content)).hexdigest()
    return report.sha256 if actual == report.sha256 else f"{report.sha256} (bytes: {actual})"


def state_payload(record, *, kind: str, answers, report, decisions) -> dict:
    return {
        "record": record.pk,
        "kind": kind,
        "status": record.status,
        "answers": _answers_entry(answers),
        "pdf": _pdf_entry(report),
        "decisions": [_decision_entry(d) for d in decisions],
    }


# --- writing -------------------------------------------------------------------------------------


def _report_of(record, report_model):
    return report_model._base_manager.filter(assessment_id=record.pk).first()


def _append(link_model, record, payload: dict, decision_id: int | None) -> None:
    last = link_model._base_manager.filter(assessment_id=record.pk).order_by("-position").first()
    previous = last.digest if last else ""
    link_model.objects.create(
        assessment_id=record.pk,
        position=(last.position + 1) if last else 1,
        kind=payload["kind"],
        decision_id=decision_id,
        payload=payload,
        previous=previous,
        digest=link_digest(payload, previous),
    )


def chain_link_add(*, record, decision) -> None:
    """Add the link of `decision`, just taken: the record's rows are as it left them. Called
    by the review services inside their transaction (the record's row is locked)."""
    payload = state_payload(
        record,
        kind=decision.action,
        answers=Answer._base_manager.filter(assessment_id=record.pk),
        report=_report_of(record, ApprovedReport),
        decisions=[decision],
    )
    _append(RecordLink, record, payload, decision.pk)


def chain_seal(apps) -> int:
    """Seal, as they stand, the records with review decisions but no link; how many. Run once
    by the migration that creates the chain (see 0012_record_chain)."""
    assessment, answer, decision, report, link = (
        apps.get_model("assessor", name)
        for name in ("Assessment", "Answer", "Decision", "ApprovedReport", "RecordLink")
    )
    sealed = 0
    chained = link._base_manager.values("assessment_id")
    reviewed = decision._base_manager.filter(action__in=CHAINED_ACTIONS).values("assessment_id")
    for record in assessment._base_manager.filter(pk__in=reviewed).exclude(pk__in=chained):
        decisions = decision._base_manager.filter(
            assessment_id=record.pk, action__in=CHAINED_ACTIONS
        ).order_by("id")
        payload = state_payload(
            record,
            kind=SEALED,
            answers=answer._base_manager.filter(assessment_id=record.pk),
            report=_report_of(record, report),
            decisions=decisions,
        )
        _append(link, record, payload, None)
        sealed += 1
    return sealed


# --- verifying -----------------------------------------------------------------------------------


@dataclass
class Verdict:
    """One record against its chain: `mismatches` names what no longer matches, in order."""

    record: object
    links: int
    mismatches: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    unchained: bool = False

    @property
    def intact(self) -> bool:
        return not self.mismatches

    @property
    def summary(self) -> str:
        if self.mismatches:
            return f"{', '.join(self.mismatches)} no longer match the chain"
        if self.unchained:
            return "no chain yet"
        return f"matches its chain ({self.links} link{'s' if self.links != 1 else ''})"


def _check_links(links, record_pk: int, verdict: Verdict) -> None:
    previous = ""
    for position, link in enumerate(links, start=1):
        if (
            link.position != position
            or link.previous != previous
            or link.payload.get("record") != record_pk
            or link_digest(link.payload, link.previous) != link.digest
        ):
            verdict.details.append(f"link {link.position} does not follow from the one before")
            _mismatch(verdict, HISTORY)
        previous = link.digest


def _check_decisions(links, decisions, verdict: Verdict) -> None:
    chained = {entry["id"]: entry for link in links for entry in link.payload.get("decisions", [])}
    current = {d.pk: d for d in decisions if d.action in CHAINED_ACTIONS}
    for pk, entry in chained.items():
        row = current.get(pk)
        if row is None:
            verdict.details.append(f"decision {pk} ({entry['action']}) is missing")
            _mismatch(verdict, HISTORY)
        elif _decision_entry(row) != entry:
            verdict.details.append(f"decision {pk} ({entry['action']}) was changed")
            _mismatch(verdict, HISTORY)
    for pk in sorted(set(current) - set(chained)):
        verdict.details.append(f"decision {pk} ({current[pk].action}) is not in the chain")
        _mismatch(verdict, HISTORY)


def _check_state(record, last: dict, answers, report, verdict: Verdict) -> None:
    if record.status != last["status"]:
        verdict.details.append(f"status is {record.status}, the chain says {last['status']}")
        _mismatch(verdict, STATUS)
    if (record.status in LOCKED or last["status"] in LOCKED) and _answers_entry(answers) != last[
        "answers"
    ]:
        verdict.details.append("answers differ from those the last decision saw")
        _mismatch(verdict, ANSWERS)
    if _pdf_entry(report) != last["pdf"]:
        verdict.details.append("the stored PDF differs from the one approved")
        _mismatch(verdict, PDF)


def _mismatch(verdict: Verdict, what: str) -> None:
    if what not in verdict.mismatches:
        verdict.mismatches.append(what)


def record_verify(record, *, links, answers, decisions, report, chain_began) -> Verdict:
    """`record` against its `links` (in position order), from the rows given."""
    verdict = Verdict(record=record, links=len(links))
    if not links:
        reviewed = [d for d in decisions if d.action in CHAINED_ACTIONS]
        newer = chain_began is not None and any(d.pk >= chain_began for d in reviewed)
        if newer:
            verdict.details.append("decisions taken since the chain began have no link")
            _mismatch(verdict, HISTORY)
        elif reviewed or record.status in LOCKED:
            verdict.unchained = True
        return verdict
    _check_links(links, record.pk, verdict)
    _check_decisions(links, decisions, verdict)
    _check_state(record, links[-1].payload, answers, report, verdict)
    return verdict


def chain_verify(records) -> list[Verdict]:
    """Each record of `records` (an Assessment queryset) against its chain, in id order; records
    never reviewed (no decision, no link) are left out."""
    # Every decision from the first one the chain saw has a link: a record with a newer
    # decision and no link at all was reviewed around the services, or lost its links.
    chain_began = RecordLink._base_manager.aggregate(first=Min("decision_id"))["first"]
    found = (
        records.order_by("pk")
        .prefetch_related("answers", "decisions", "chain")
        .select_related("approved_report")
    )
    verdicts = []
    for record in found:
        links = sorted(record.chain.all(), key=lambda link: link.position)
        decisions = list(record.decisions.all())
        if not links and not decisions and record.status not in LOCKED:
            continue
        report = getattr(record, "approved_report", None)
        verdicts.append(
            record_verify(
                record,
                links=links,
                answers=list(record.answers.all()),
                decisions=decisions,
                report=report,
                chain_began=chain_began,
            )
        )
    return verdicts
