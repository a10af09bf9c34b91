"""Reads of file evidence: a record's files, by answer, for the appendix; one file for a
download, looked up through the record's team like every record read."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from assessor.teams import access

from .models import EvidenceFile, questions_of

WHOLE_RECORD = "Whole record"


def evidence_of(assessment) -> list[EvidenceFile]:
    return list(EvidenceFile.objects.filter(assessment=assessment).select_related("uploaded_by"))


def evidence_by_question(assessment) -> dict[str, list[EvidenceFile]]:
    """question key -> its files; "" -> the whole record's."""
    found: dict[str, list[EvidenceFile]] = {}
    for evidence in evidence_of(assessment):
        found.setdefault(evidence.question_key or "", []).append(evidence)
    return found


def question_titles(assessment) -> dict[str, str]:
    return {q["key"]: q["text"] for q in questions_of(assessment.document)}


def question_choices(assessment) -> list[tuple[str, str]]:
    """The upload form's "which answer" choices: the whole record, then every question."""
    return [("", WHOLE_RECORD), *question_titles(assessment).items()]


@dataclass(frozen=True)
class AppendixRow:
    evidence: EvidenceFile
    answer: str  # the question's text, or "Whole record"


def evidence_appendix(assessment) -> list[AppendixRow]:
    """Every file of the record, as the report and the PDF list them (files not embedded)."""
    titles = question_titles(assessment)
    return [
        AppendixRow(
            e, titles.get(e.question_key, e.question_key) if e.question_key else WHOLE_RECORD
        )
        for e in evidence_of(assessment)
    ]


def evidence_for(user, pk: int, evidence_pk: int, action: str = access.VIEW):
    """(record, file) for `user`: 404 for a record of another team or a file of another record,
    403 for a record the user may read but not `action`."""
    assessment = access.assessment_for(user, pk, action)
    evidence = (
        EvidenceFile.objects.filter(assessment=assessment, pk=evidence_pk)
        .select_related("uploaded_by")
        .first()
    )
    if evidence is None:
        raise Http404("No evidence file matches the given query.")
    return assessment, evidence
