"""The team members page's forms: add a person with a role, and set one member's roles."""

from __future__ import annotations

from django import forms

from assessor.teams.roles import ROLE_LABELS

from .member_services import grantable


def _choices(by) -> list[tuple[str, str]]:
    return [(role, ROLE_LABELS[role]) for role in grantable(by)]


class MemberAddForm(forms.Form):
    person = forms.CharField(
        label="Username or email",
        max_length=254,
        help_text="Someone who already has an account here.",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        error_messages={"required": "Give the person's username or email."},
    )
    role = forms.ChoiceField(
        label="Role",
        error_messages={"required": "Pick a role."},
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, by, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "Pick a role…"), *_choices(by)]


class MemberRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label="Roles", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, by, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = _choices(by)
