"""The upload form: the file, which answer (or the whole record), the dates and a note."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .models import NOTE_MAX_LENGTH


class EvidenceForm(forms.Form):
    file = forms.FileField(label="File", help_text="PDF, PNG, JPEG, plain text, CSV or XLSX.")
    question = forms.ChoiceField(label="Evidence for", required=False)
    effective_on = forms.DateField(
        label="Effective from",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The date from which this evidence counts.",
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="After this date it no longer counts and the record is marked for re-review.",
    )
    note = forms.CharField(
        label="Note", required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = choices
        self.fields["effective_on"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        effective, expires = cleaned.get("effective_on"), cleaned.get("expires_on")
        if effective and expires and expires < effective:
            self.add_error("expires_on", "The expiry date cannot be before the effective date.")
        return cleaned
