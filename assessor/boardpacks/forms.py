"""The "New board pack" form: every bad value is an error on its field, never a 500, and a team
the person may not read is an error, never silently dropped."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms

from assessor.records.validators import xml_text

from . import selectors

# A board pack covers at most this long: the figures are per month, and a longer period
# makes a pack no board reads in one sitting.
MAX_PERIOD_DAYS = 3 * 366


class TeamChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class BoardPackForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        validators=[xml_text],
        help_text="What the board will call it, e.g. “Q4 2026 board”.",
    )
    period_start = forms.DateField(
        label="Period from", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label="Period to", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    teams = TeamChoices(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="The teams the pack covers: those where you are an approver, auditor or "
        "team manager. Its readers must read every one of them.",
        error_messages={
            "invalid_choice": "You may not read team %(value)s (a team id): a pack covers only "
            "teams where you are an approver, auditor or team manager.",
            "invalid_pk_value": "“%(pk)s” is not a team.",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = selectors.boardpack_teams(user)
        start, end = selectors.last_full_quarter()
        self.fields["period_start"].initial = start
        self.fields["period_end"].initial = end
        if not self.is_bound:
            self.fields["title"].initial = f"Q{(start.month - 1) // 3 + 1} {start.year} board"
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end:
            if end < start:
                self.add_error("period_end", "The period ends before it starts.")
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("period_end", "A pack covers at most three years.")
        return data
