"""Writes and reads around assessments: the database work the views and commands share.

Scoring itself stays in `scoring.py`; this module loads what it needs in as few queries as it
can and saves in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from . import scoring
from .models import Answer, Assessment, Questionnaire


class NoPublishedQuestionnaire(Exception):
    """No questionnaire version is published, so no assessment can start."""


@dataclass(frozen=True)
class Step:
    """One wizard step: a section of the questionnaire, with where it sits."""

    number: int  # 1-based
    section: dict
    visible_keys: tuple[str, ...]
    answered_keys: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.section["key"]

    @property
    def title(self) -> str:
        return self.section["title"]

    @property
    def complete(self) -> bool:
        required = [q["key"] for q in self.section["questions"] if q["core"]]
        return all(key in self.answered_keys for key in required)

    @property
    def first_unanswered(self) -> str | None:
        """The first core question still unanswered (follow-ups are optional)."""
        for question in self.section["questions"]:
            if question["core"] and question["key"] not in self.answered_keys:
                return question["key"]
        return None


def assessment_create(
    *, owner, name: str, description: str = "", system: str = "", business_owner: str = ""
) -> Assessment:
    questionnaire = Questionnaire.current()
    if questionnaire is None:
        raise NoPublishedQuestionnaire
    model = questionnaire.scoring_model()
    return Assessment.objects.create(
        owner=owner,
        name=name,
        description=description,
        system=system,
        business_owner=business_owner,
        questionnaire=questionnaire,
        total_core=len(model.core_keys),
    )


def answers_of(assessment: Assessment) -> dict[str, Answer]:
    """Every stored answer of an assessment, by question key, in one query."""
    return {answer.question_key: answer for answer in assessment.answers.all()}


def choices_of(answers: dict[str, Answer]) -> dict[str, str]:
    return {key: answer.choice_key for key, answer in answers.items()}


def steps_of(questionnaire: Questionnaire, choices: dict[str, str]) -> list[Step]:
    model = questionnaire.scoring_model()
    known = known_answers(model, choices)
    counted = scoring.effective_answers(model, known)
    visible = {q.key for q in scoring.visible_questions(model, known)}
    return [
        Step(
            number=number,
            section=section,
            visible_keys=tuple(q["key"] for q in section["questions"] if q["key"] in visible),
            answered_keys=tuple(q["key"] for q in section["questions"] if q["key"] in counted),
        )
        for number, section in enumerate(questionnaire.document["sections"], start=1)
    ]


def known_answers(model: scoring.ScoringModel, choices: dict[str, str]) -> dict[str, str]:
    """Drop stored answers the model does not know, so scoring never refuses them."""
    return {
        key: choice
        for key, choice in choices.items()
        if key in model.question_map and choice in model.question_map[key].choice_map
    }


def evaluate(assessment: Assessment, choices: dict[str, str]) -> scoring.Result:
    model = assessment.questionnaire.scoring_model()
    return scoring.evaluate(model, known_answers(model, choices))


def summary_fields(result: scoring.Result, total_core: int) -> dict:
    """The fields the dashboard filters and sorts on, kept current with each save."""
    return {
        "verdict": result.verdict if result.complete else "",
        "score": result.score if result.complete else None,
        "answered_core": total_core - len(result.missing),
        "total_core": total_core,
    }


@transaction.atomic
def answers_save(
    *,
    assessment: Assessment,
    existing: dict[str, Answer],
    submitted: dict[str, tuple[str, str, str]],
) -> scoring.Result:
    """Store one step's answers (question key -> choice, note, link) and refresh the summary.

    One upsert for the answers and one update for the assessment, whatever the step's size.
    """
    rows = [
        Answer(
            assessment=assessment,
            question_key=key,
            choice_key=choice,
            note=note,
            evidence_url=link,
        )
        for key, (choice, note, link) in submitted.items()
        if key not in existing
        or (existing[key].choice_key, existing[key].note, existing[key].evidence_url)
        != (choice, note, link)
    ]
    if rows:
        Answer.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["assessment", "question_key"],
            update_fields=["choice_key", "note", "evidence_url", "updated_at"],
        )
    choices = choices_of(existing)
    choices.update({key: choice for key, (choice, _, _) in submitted.items()})
    result = evaluate(assessment, choices)
    fields = summary_fields(result, assessment.total_core)
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.save(update_fields=[*fields, "updated_at"])
    return result
