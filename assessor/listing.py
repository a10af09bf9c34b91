"""The dashboard's filters: one definition for the page, the API's list and the spreadsheet
export, so "as filtered" means the same rows everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from . import access, scoring
from .models import Assessment

QUERY_MAX_LENGTH = 200
INCOMPLETE = "incomplete"
EXAMPLES_ON = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Filters:
    verdict: str = ""  # a verdict key, "incomplete", or "" for any
    status: str = ""  # a status key, or "" for any
    query: str = ""  # searched in name and system
    examples: bool = False  # include the seeded examples (left out unless asked for)

    @classmethod
    def from_params(cls, params) -> Filters:
        """From query parameters (verdict, status, q); values not recognised filter nothing."""
        verdict = params.get("verdict", "")
        status = params.get("status", "")
        return cls(
            verdict=verdict if verdict in (*scoring.VERDICTS, INCOMPLETE) else "",
            status=status if status in Assessment.Status.values else "",
            query=params.get("q", "").strip()[:QUERY_MAX_LENGTH],
            examples=params.get("examples", "") in EXAMPLES_ON,
        )

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters, the empty ones left out (for links)."""
        params = {"q": self.query, "verdict": self.verdict, "status": self.status}
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
        if self.query:
            assessments = assessments.filter(
                Q(name__icontains=self.query) | Q(system__icontains=self.query)
            )
        return assessments


def dashboard_assessments(user, filters: Filters) -> QuerySet[Assessment]:
    """The records the user may read, filtered, most recently updated first."""
    return filters.apply(access.assessments_for(user)).order_by("-updated_at", "-id")
