"""The register's forms: every bad value is an error on its field, never a 500."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms

from . import selectors
from .models import Agent, AgentIdentity


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class AgentForm(forms.ModelForm):
    """A new agent (with its team) or an agent's details (its team fixed)."""

    class Meta:
        model = Agent
        fields = ["name", "team", "purpose", "owner", "platform", "status"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name": "What people call it, e.g. 'Access triage agent'. One name per team.",
            "purpose": "What it does, for whom, and which decisions it may take.",
        }

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        if self.instance.pk:
            del self.fields["team"]
            teams = [self.instance.team]
        else:
            self.fields["team"].queryset = teams
            if len(teams) == 1:
                self.fields["team"].initial = teams[0]
                self.fields["team"].disabled = True
                self.fields["team"].widget = forms.HiddenInput()
        self.fields["owner"].queryset = selectors.owner_choices(teams)
        self.fields["owner"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )

    def clean(self):
        cleaned = super().clean()
        team = cleaned.get("team") or (self.instance.team if self.instance.pk else None)
        owner = cleaned.get("owner")
        if team and owner and not team.memberships.filter(user=owner).exists():
            self.add_error("owner", f"{owner.get_username()} is not a member of team {team}.")
        return cleaned


class IdentityForm(forms.ModelForm):
    class Meta:
        model = AgentIdentity
        fields = ["kind", "system", "credential_type", "credential_lifetime", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
        labels = {"kind": "Kind of identity"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class AttachForm(forms.Form):
    """Which agent runs this workflow (empty: none)."""

    agent = forms.ModelChoiceField(
        queryset=Agent.objects.none(),
        required=False,
        empty_label="No agent",
        help_text="Every revision of this workflow is attached. Agents of the record's team.",
    )

    def __init__(self, *args, assessment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = selectors.attachable_agents(assessment)
        self.fields["agent"].initial = assessment.agent_id
        self.helper = _helper()
