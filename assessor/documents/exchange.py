"""Export an assessment as JSON, and import such a file back with nothing lost.

The file carries answers by question key, notes, evidence links, the result as it was computed
and the questionnaire version. An import is checked as a whole before anything is written:
a bad file creates nothing.

`answers` holds the answers that count: a follow-up in it must be asked by the answers beside
it. A follow-up the record answered before its parent answer changed is kept, as the wizard
keeps it (it counts for nothing until its parent asks it again), under `hidden_answers`, which
an export carries only when there are such answers.
"""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.utils import timezone

from assessor import engine
from assessor.models import NOTE_MAX_LENGTH, URL_MAX_LENGTH, Answer, Assessment, Questionnaire
from assessor.records import selectors, services
from assessor.records.validators import HTTP_URL_MESSAGE, evidence_link, json_problem
from assessor.teams import access

FORMAT = "autonomy-assessor/assessment"
FORMAT_VERSION = 1


def _text_limit(name: str) -> int:
    """The Assessment field's own limit (max_length, or the validator of a text field)."""
    field = Assessment._meta.get_field(name)
    return min(v.limit_value for v in field.validators if isinstance(v, MaxLengthValidator))


# The record's own texts, with the limits the model enforces (one source for both).
TEXT_LIMITS = {
    name: _text_limit(name) for name in ("name", "description", "system", "business_owner")
}


class ImportProblem(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# What the fingerprint covers: the whole export except the two fields that cannot be part of it.
UNFINGERPRINTED = ("exported_at", "fingerprint")


def canonical_json(data: dict) -> bytes:
    """The export as canonical JSON: sorted keys, no spaces, UTF-8, volatile fields left out."""
    kept = {key: value for key, value in data.items() if key not in UNFINGERPRINTED}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(data: dict) -> str:
    """SHA-256 of the canonical export; printed in the PDF so a reader can match the record."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def assessment_export(assessment: Assessment) -> dict:
    answers = selectors.answers_of(assessment)
    result = selectors.evaluate(assessment, selectors.choices_of(answers))
    hidden = {key: a.choice_key for key, a in sorted(answers.items()) if key not in result.answers}
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "name": assessment.name,
        "description": assessment.description,
        "system": assessment.system,
        "business_owner": assessment.business_owner,
        "status": assessment.status,
        "questionnaire_version": assessment.questionnaire.version,
        "answers": {
            key: a.choice_key for key, a in sorted(answers.items()) if key in result.answers
        },
        **({"hidden_answers": hidden} if hidden else {}),
        "notes": {key: a.note for key, a in sorted(answers.items()) if a.note},
        "evidence": {key: a.evidence_url for key, a in sorted(answers.items()) if a.evidence_url},
        "result": result.to_dict(),
    }
    data["fingerprint"] = {
        "algorithm": "sha256",
        "value": fingerprint(data),
        "covers": (
            "this object without 'exported_at' and 'fingerprint', as JSON with sorted keys, "
            "no spaces, UTF-8"
        ),
    }
    return data


def _check(data) -> tuple[Questionnaire | None, list[str]]:
    """The questionnaire the file is pinned to, and every problem of the file."""
    if not isinstance(data, dict):
        return None, ["the file must hold a JSON object"]
    problem = json_problem(data)
    if problem:
        return None, [problem]
    problems = _header_problems(data)
    questionnaire, version_problems = _pinned_questionnaire(data.get("questionnaire_version"))
    problems += version_problems
    answers = data.get("answers")
    if not isinstance(answers, dict):
        problems.append('"answers" must be an object of question_key: choice_key')
        answers = {}
    hidden = data.get("hidden_answers", {})
    if not isinstance(hidden, dict):
        problems.append('"hidden_answers" must be an object of question_key: choice_key')
    notes = data.get("notes", {})
    evidence = data.get("evidence", {})
    for field, value in (("notes", notes), ("evidence", evidence)):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            problems.append(f'"{field}" must be an object of question_key: text')
    if problems:
        return questionnaire, problems
    model = questionnaire.scoring_model()
    problems += engine.check_answers(model, answers)
    problems += [f"hidden_answers: {p}" for p in engine.check_answers(model, hidden)]
    if not problems:
        problems += _visibility_problems(model, answers, hidden)
    problems += _note_problems(notes, {**hidden, **answers})
    problems += _evidence_problems(evidence, {**hidden, **answers})
    return questionnaire, problems


def _visibility_problems(model: engine.ScoringModel, answers: dict, hidden: dict) -> list[str]:
    """Each follow-up in `answers` that its parent answer does not ask (the engine would
    ignore it), and each one in `hidden_answers` that the answers do ask (it would count)."""
    problems = engine.check_visibility(model, answers)
    for key in sorted(set(hidden) & set(answers)):
        problems.append(f"hidden_answers: {key} is also in answers")
    for key, choice in sorted(hidden.items()):
        if key not in answers and key in engine.effective_answers(model, {**answers, key: choice}):
            problems.append(
                f"hidden_answers: {key} is asked by the answers given; move it to answers"
            )
    return problems


def _header_problems(data: dict) -> list[str]:
    """The format, and the record's own texts within the model's limits."""
    problems = []
    if data.get("format") != FORMAT:
        problems.append(f'"format" must be "{FORMAT}": is this an assessment export?')
    if data.get("format_version") != FORMAT_VERSION:
        problems.append(f'"format_version" {data.get("format_version")!r} is not supported')
    for field, limit in TEXT_LIMITS.items():
        value = data.get(field, "")
        if not isinstance(value, str):
            problems.append(f'"{field}" must be text')
        elif len(value) > limit:
            problems.append(f'"{field}" is longer than {limit} characters')
    if not (isinstance(data.get("name"), str) and data["name"].strip()):
        problems.append('"name" (the workflow name) is required')
    return problems


def _pinned_questionnaire(version) -> tuple[Questionnaire | None, list[str]]:
    """The published or retired version the export names, or why it cannot be used."""
    if not isinstance(version, str):
        return None, ['"questionnaire_version" is required']
    questionnaire = Questionnaire.objects.filter(version=version).first()
    if questionnaire is None:
        return None, [f"questionnaire version {version!r} is not loaded on this server"]
    if questionnaire.status == Questionnaire.Status.DRAFT:
        # A draft can still change under the record; only published questions are asked.
        return None, [
            f"questionnaire version {version!r} is a draft, not published: "
            "import an export of a published version"
        ]
    return questionnaire, []


def _note_problems(notes: dict[str, str], answers: dict) -> list[str]:
    problems = []
    for key, note in notes.items():
        if key not in answers:
            problems.append(f"note for unanswered question: {key}")
        elif len(note) > NOTE_MAX_LENGTH:
            problems.append(f"note for {key} is longer than {NOTE_MAX_LENGTH} characters")
    return problems


def _evidence_problems(evidence: dict[str, str], answers: dict) -> list[str]:
    problems = []
    for key, link in evidence.items():
        if link == "":
            continue  # no link, as the wizard allows
        if key not in answers:
            problems.append(f"evidence link for unanswered question: {key}")
            continue
        if len(link) > URL_MAX_LENGTH:
            problems.append(f"evidence link for {key} is longer than {URL_MAX_LENGTH} characters")
            continue
        try:
            evidence_link(link)
        except ValidationError as error:
            if error.message == HTTP_URL_MESSAGE:
                problems.append(f"evidence link for {key} is not an http:// or https:// link")
            else:
                problems.append(f"evidence link for {key}: {error.message}")
    return problems


@transaction.atomic
def import_assessment(data, *, owner, team) -> Assessment:
    """Create a new draft assessment from an export; raise ImportProblem naming every fault."""
    access.require(owner, team, access.CREATE)  # RoleRequired: only a reviewer of the team
    questionnaire, problems = _check(data)
    if problems:
        raise ImportProblem(problems)
    model = questionnaire.scoring_model()
    assessment = Assessment.objects.create(
        owner=owner,
        team=team,
        questionnaire=questionnaire,
        total_core=len(model.core_keys),
        **{field: data.get(field, "").strip() for field in TEXT_LIMITS},
    )
    notes, evidence = data.get("notes", {}), data.get("evidence", {})
    Answer.objects.bulk_create(
        Answer(
            assessment=assessment,
            question_key=key,
            choice_key=choice,
            note=notes.get(key, ""),
            evidence_url=evidence.get(key, ""),
        )
        for key, choice in {**data.get("hidden_answers", {}), **data["answers"]}.items()
    )
    result = selectors.evaluate(assessment, dict(data["answers"]), plan=False)
    for name, value in services.summary_fields(result, assessment.total_core).items():
        setattr(assessment, name, value)
    assessment.save()
    return assessment
