"""The portfolio's filters, one form for the page (a plain GET form) and the API (the same
query parameters): teams, the period, task type, environment, examples.

Every bad value is an error on its field, never ignored: a team the person may not read, a
date that is not one, a period that ends before it starts.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

MAX_PERIOD_DAYS = 5 * 366  # the trend draws a column per month: five years at most
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)  # no date arithmetic overflows inside


def default_period(today: date) -> tuple[date, date]:
    """The last quarter to date: from the first of the month two months back, to today."""
    year, month = today.year, today.month - 2
    if month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), today


class PortfolioFilters(forms.Form):
    team = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Teams",
        help_text="None ticked: every team whose portfolio you read.",
        error_messages={
            "invalid_choice": (
                "You cannot read the portfolio of team %(value)s (it is not one of your teams, "
                "or does not exist)."
            )
        },
    )
    start = forms.DateField(
        label="From", input_formats=["%Y-%m-%d"], help_text="First day of the period (YYYY-MM-DD)."
    )
    end = forms.DateField(
        label="To", input_formats=["%Y-%m-%d"], help_text="Last day of the period (YYYY-MM-DD)."
    )
    task_type = forms.ChoiceField(required=False, label="Task type")
    environment = forms.ChoiceField(required=False, label="Environment")
    examples = forms.BooleanField(required=False, label="Include the example assessments")

    def __init__(self, params, *, teams, scope_choices, today: date | None = None):
        today = today or timezone.localdate()
        start, end = default_period(today)
        data = params.copy() if hasattr(params, "copy") else dict(params)
        # Missing dates take the default period; an empty or bad one is an error on its field.
        if "start" not in data:
            data["start"] = start.isoformat()
        if "end" not in data:
            data["end"] = end.isoformat()
        super().__init__(data)
        self.teams = list(teams)
        self.fields["team"].choices = [(team.pk, team.name) for team in self.teams]
        self.fields["task_type"].choices = [("", "Any task type"), *scope_choices["task_type"]]
        self.fields["environment"].choices = [
            ("", "Any environment"),
            *scope_choices["environment_tier"],
        ]

    def clean(self):
        cleaned = super().clean()
        for name in ("start", "end"):
            day = cleaned.get(name)
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, "A date between 1970 and 2999.")
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and not self.errors:
            if end < start:
                self.add_error("end", "The period ends before it starts: pick a later end date.")
            elif end - start > timedelta(days=MAX_PERIOD_DAYS):
                self.add_error("end", "A period of five years at most.")
        return cleaned

    def chosen_teams(self) -> list:
        """The teams asked for (all of them when none is ticked); valid forms only."""
        chosen = set(self.cleaned_data["team"])
        return [team for team in self.teams if not chosen or team.pk in chosen]

    def figures_arguments(self) -> dict:
        """`portfolio_figures` keyword arguments, from a valid form."""
        data = self.cleaned_data
        return {
            "teams": self.chosen_teams(),
            "start": data["start"],
            "end": data["end"],
            "task_type": data["task_type"],
            "environment": data["environment"],
            "examples": data["examples"],
        }

    def error_reasons(self) -> dict[str, list[str]]:
        """Each field's errors as plain sentences (the API's 400 body)."""
        return {field: [str(m) for m in messages] for field, messages in self.errors.items()}
