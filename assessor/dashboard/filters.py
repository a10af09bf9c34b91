"""The dashboard's filters: one definition for the page, the API's list and the spreadsheet
export, so "as filtered" means the same rows everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from assessor import engine
from assessor.models import Assessment
from assessor.oversight.selectors import REVIEW_STATES, with_review_state
from assessor.teams import access

QUERY_MAX_LENGTH = 200
INCOMPLETE = "incomplete"
VERDICT_VALUES = (*engine.VERDICTS, INCOMPLETE)
REVIEW_VALUES = REVIEW_STATES  # current, due, overdue, lapsed


class InvalidFilters(ValueError):
    """A filter value that is not one of the allowed ones: answered with 400 naming them,
    never with every record as if no filter had been asked for."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def _one_of(value: str, allowed) -> str:
    shown = value.encode("utf-8", "backslashreplace").decode()[:40]
    return f"“{shown}” is not one of {', '.join(allowed)} (or empty for any)."


EXAMPLES_ON = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Filters:
    verdict: str = ""  # a verdict key, "incomplete", or "" for any
    status: str = ""  # a status key, or "" for any
    query: str = ""  # searched in name and system
    examples: bool = False  # include the seeded examples (left out unless asked for)
    review: str = ""  # a review state of approved records (current, due, overdue, lapsed)

    @classmethod
    def from_params(cls, params) -> Filters:
        """From query parameters (verdict, status, q); raises InvalidFilters naming each value
        that is not allowed, with the values that are."""
        verdict = params.get("verdict", "")
        status = params.get("status", "")
        review = params.get("review", "")
        query = params.get("q", "").strip()[:QUERY_MAX_LENGTH]
        errors = {}
        if verdict not in ("", *VERDICT_VALUES):
            errors["verdict"] = _one_of(verdict, VERDICT_VALUES)
        if status not in ("", *Assessment.Status.values):
            errors["status"] = _one_of(status, Assessment.Status.values)
        if review not in ("", *REVIEW_VALUES):
            errors["review"] = _one_of(review, REVIEW_VALUES)
        if "\x00" in query:  # no name holds one, and PostgreSQL refuses it in a query
            errors["q"] = "The search contains a NUL character, which no name or system holds."
        if errors:
            raise InvalidFilters(errors)
        return cls(
            verdict=verdict,
            status=status,
            query=query,
            review=review,
            examples=params.get("examples", "") in EXAMPLES_ON,
        )

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters, the empty ones left out (for links)."""
        params = {"q": self.query, "verdict": self.verdict, "status": self.status}
        params["review"] = self.review
        params["examples"] = "1" if self.examples else ""
        return {key: value for key, value in params.items() if value}

    def apply(self, assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
        if not self.examples:
            assessments = assessments.filter(is_example=False)
        if self.verdict == INCOMPLETE:
            assessments = assessments.filter(verdict="")
        elif self.verdict:
            assessments = assessments.filter(verdict=self.verdict)
        if self.status:
            assessments = assessments.filter(status=self.status)
        if self.review:
            assessments = with_review_state(assessments, self.review)
        if self.query:
            assessments = assessments.filter(
                Q(name__icontains=self.query) | Q(system__icontains=self.query)
            )
        return assessments


# The statuses the filter offers, for the views (which name no model).
STATUS_CHOICES = Assessment.Status.choices


def assessment_counts(readable: QuerySet[Assessment]) -> tuple[bool, int]:
    """Whether the readable records hold any of one's own (not an example), and how many
    examples they hold."""
    return readable.filter(is_example=False).exists(), readable.filter(is_example=True).count()


def dashboard_assessments(user, filters: Filters) -> QuerySet[Assessment]:
    """The records the user may read, filtered, most recently updated first."""
    return filters.apply(access.assessments_for(user)).order_by("-updated_at", "-id")
