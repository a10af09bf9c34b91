"""Forms: the new-assessment form, the wizard's per-section form and the import upload."""

from __future__ import annotations

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm

from assessor.models import (
    NOTE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Agent,
    Assessment,
    NotificationPreference,
)
from assessor.records.validators import (
    MAX_CONDITION_DEPTH,
    JsonRefused,
    condition_problem,
    evidence_link,
    json_loads,
    json_problem,
    weight_message,
    xml_text,
)
from assessor.wizard import markup as step_markup
from assessor.wizard.fields import evidence_field, note_field

IMPORT_MAX_BYTES = 1_000_000


def _limit_to_teams(field, teams) -> None:
    """Offer only the user's teams; with a single team, use it without asking."""
    field.queryset = teams
    if len(teams) == 1:
        field.initial = teams[0]
        field.disabled = True
        field.widget = forms.HiddenInput()


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["name", "team", "agent", "description", "system", "business_owner"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name": "A short name a board member would recognise, e.g. 'Leaver deprovisioning'.",
            "description": "What the workflow does, and what the AI agent would do in it.",
            "system": "The system or platform the workflow acts on, e.g. 'Okta', 'AWS IAM'.",
            "business_owner": "The person or team accountable for the workflow.",
        }

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_to_teams(self.fields["team"], teams)
        self.fields["team"].help_text = "The team that owns this assessment and reviews it."
        self.fields["agent"].queryset = Agent.objects.filter(team__in=teams).exclude(
            status=Agent.Status.RETIRED
        )
        self.fields[
            "agent"
        ].help_text = "The AI agent that would run this workflow (the agent register); optional."
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        agent, team = cleaned.get("agent"), cleaned.get("team")
        if agent and team and agent.team_id != team.pk:
            self.add_error("agent", f"{agent} is an agent of team {agent.team}, not of {team}.")
        return cleaned


class HistoryFilterForm(forms.Form):
    """The history page's filters (GET): one kind of entry, one person; empty means any."""

    action = forms.ChoiceField(label="Action", required=False)
    who = forms.ChoiceField(label="Person", required=False)

    def __init__(self, *args, kinds: dict[str, str], people: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any action"), *kinds.items()]
        self.fields["who"].choices = [("", "Anyone"), *((name, name) for name in people)]


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["review_emails", "reminder_emails"]


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[xml_text],
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "max_length": f"The comment is too long: at most {NOTE_MAX_LENGTH:,} characters.",
            "null_characters_not_allowed": "The comment contains a character that is not allowed.",
        },
    )


APPROVAL_CONFIRMATION = (
    "I have read the report; approving stores the PDF for good and cannot be undone."
)


class ApprovalForm(DecisionForm):
    """Approval freezes the PDF for good, so it takes a ticked box as well as the click: a
    confirmation that needs no JavaScript and that a stray POST cannot supply by accident."""

    confirm = forms.BooleanField(
        label=APPROVAL_CONFIRMATION,
        error_messages={
            "required": "Not approved: tick “I have read the report” first, because approving "
            "stores the PDF for good and cannot be undone."
        },
    )
    conditions = forms.CharField(
        required=False,
        max_length=2000,
        label="Conditions of the autonomy grant (optional)",
        help_text="What the agent must keep to, carried in the signed grant (supervised or "
        "bounded ownership, with an agent attached).",
    )


def _condition_questions(condition: dict) -> set[str]:
    """The questions a show-if condition reads ({question, in|not_in} or {all|any: [...]})."""
    parts = condition.get("all") or condition.get("any")
    if parts:
        return set().union(*(_condition_questions(part) for part in parts))
    return {condition["question"]}


class SectionForm(forms.Form):
    """One wizard step: a radio group per question (name = question key, value = choice key),
    each with an optional note and evidence link.

    Answers are optional on each step, so a reviewer can save and come back; completeness is
    shown in the side list and on the report. Rendered by `_section_form.html`, one crispy
    field at a time (markup reused across requests when unbound: see `step_markup`).
    """

    def __init__(
        self,
        *args,
        section: dict,
        conditions: dict[str, str],
        visible: tuple[str, ...] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.section = section
        self.conditions = conditions
        self.visible = visible  # the step's questions asked, given the saved answers
        self.question_keys = [q["key"] for q in section["questions"]]
        self._field_names = {
            name
            for key in self.question_keys
            for name in (key, note_field(key), evidence_field(key))
        }

    # The fields are made on first use: a GET whose field markup is reused (markup.py) never
    # reads them, and three fields a question cost more to make than the rest of the form.
    @property
    def fields(self) -> dict[str, forms.Field]:
        if self._fields is None:
            self._fields = self._step_fields()
        return self._fields

    @fields.setter
    def fields(self, value: dict[str, forms.Field]) -> None:
        # BaseForm.__init__ sets the declared fields: none, so the step's come on first use.
        self._fields = value or None

    def __getitem__(self, name: str):
        # A template's `form.blocks` tries form["blocks"] first: answer "no such field" without
        # making the fields.
        if name not in self._field_names:
            raise KeyError(f"Key {name!r} not found in '{type(self).__name__}'.")
        return super().__getitem__(name)

    def _step_fields(self) -> dict[str, forms.Field]:
        fields = {}
        for question in self.section["questions"]:
            key = question["key"]
            fields[key] = forms.ChoiceField(
                label=question["text"],
                choices=[(c["key"], c["label"]) for c in question["choices"]],
                widget=forms.RadioSelect,
                required=False,
            )
            fields[note_field(key)] = forms.CharField(
                label="Note (optional)",
                required=False,
                max_length=NOTE_MAX_LENGTH,
                validators=[xml_text],
                # Each note names its question for screen readers; the visible label is short.
                widget=forms.Textarea(
                    attrs={"rows": 2, "aria-label": f"Note on: {question['text']} (optional)"}
                ),
                help_text=f"Up to {NOTE_MAX_LENGTH:,} characters.",
            )
            fields[evidence_field(key)] = forms.CharField(
                label="Evidence link (optional)",
                required=False,
                max_length=URL_MAX_LENGTH,
                validators=[xml_text, evidence_link],
                widget=forms.URLInput(
                    attrs={
                        "placeholder": "https://",
                        "aria-label": f"Evidence link for: {question['text']} (optional)",
                    }
                ),
            )
        return fields

    def blocks(self) -> list[dict]:
        """What the template shows for each question, its fields' markup included."""
        markup = step_markup.for_form(self)
        return [
            {
                "key": question["key"],
                "help": question["help"],
                "optional": question.get("optional", False),
                "show_if": json.dumps(question["show_if"]) if question["show_if"] else "",
                "condition": self.conditions.get(question["key"], "")
                if question["show_if"]
                else "",
                "hidden": self._not_asked(question),
                **self._fields_html(question["key"], markup),
                # Note and link fold away until used, so the questions stay easy to scan.
                "open": self._has_extras(question["key"]),
            }
            for question in self.section["questions"]
        ]

    def _not_asked(self, question: dict) -> bool:
        """A follow-up the saved answers of other steps leave unasked: hidden, as it counts
        for nothing. One that hangs on a question of this step stays shown, so that without
        JavaScript the reviewer can answer it after changing that question (the script hides
        it at once)."""
        if self.visible is None or not question["show_if"] or question["key"] in self.visible:
            return False
        return not _condition_questions(question["show_if"]) & set(self.question_keys)

    def _fields_html(self, key: str, markup: step_markup.StepMarkup | None) -> dict[str, str]:
        """The question's three fields as crispy renders them (reused markup when unbound)."""
        names = {"choice": key, "note": note_field(key), "evidence": evidence_field(key)}
        if markup is None:
            return {part: as_crispy_field(self[name]) for part, name in names.items()}
        question = markup.questions[key]
        value = {part: self.initial.get(name) or "" for part, name in names.items()}
        return {
            "choice": question.choice(value["choice"]),
            "note": question.note.render(value["note"]),
            "evidence": question.evidence.render(value["evidence"]),
        }

    def _has_extras(self, key: str) -> bool:
        names = (note_field(key), evidence_field(key))
        if self.is_bound:
            return any(self.data.get(name) for name in names)
        return any(self.initial.get(name) for name in names)

    def clean(self):
        cleaned = super().clean()
        for key in self.question_keys:
            has_extra = cleaned.get(note_field(key)) or cleaned.get(evidence_field(key))
            if has_extra and not cleaned.get(key):
                self.add_error(key, "Choose an answer to attach a note or evidence link to it.")
        return cleaned

    def answers(self) -> dict[str, tuple[str, str, str]]:
        """question key -> (choice, note, evidence link), for the questions answered here."""
        return {
            key: (
                self.cleaned_data[key],
                self.cleaned_data[note_field(key)].strip(),
                self.cleaned_data[evidence_field(key)].strip(),
            )
            for key in self.question_keys
            if self.cleaned_data.get(key)
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Assessment export (JSON)",
        help_text="A file downloaded with 'Export JSON' from any assessment's report.",
    )
    team = forms.ModelChoiceField(queryset=None, help_text="The team that will own the import.")

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_to_teams(self.fields["team"], teams)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Import"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {IMPORT_MAX_BYTES // 1000:,} kB; exports are far smaller."
            )
        try:
            return json_loads(upload.read())
        except JsonRefused as exc:
            problem = "is not valid JSON" if exc.malformed else "cannot be imported"
            raise forms.ValidationError(f"The file {problem}: {exc}.") from exc


# --- back-office fields: what the bank's parser must never see --------------------------------


class StoredJSONField(forms.JSONField):
    """JSON the database can store and the page can show again: nesting past Python's
    recursion limit, integers too long to convert (Python refuses more than 4,300 digits
    with a ValueError that Django's JSONField does not catch), lone surrogates and NUL
    characters are form errors, never a 500."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(
                f"The value nests too deep: at most {MAX_CONDITION_DEPTH} levels.",
                code="too_deep",
            ) from None
        except forms.ValidationError:
            raise
        except ValueError:
            raise forms.ValidationError(
                "The value holds a number too long to read (more than 4,300 digits).",
                code="too_long_number",
            ) from None
        problem = json_problem(parsed, max_depth=None)
        if problem:
            raise forms.ValidationError(f"The value {problem.removeprefix('the file ')}.")
        return parsed

    def bound_data(self, data, initial):
        try:
            value = super().bound_data(data, initial)
        except (RecursionError, ValueError):  # too deep, or an integer too long to convert
            return forms.fields.InvalidJSONInput(data)
        if json_problem(value, max_depth=None):
            return forms.fields.InvalidJSONInput(data)  # shown as posted, escapes and all
        return value


class ConditionField(StoredJSONField):
    """A rule or show-if condition as JSON, refused with a clear error when it is not shaped
    like one or nests too deep, before the bank's (recursive) checker reads it."""

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values:
            problem = condition_problem(value)
            if problem:
                raise forms.ValidationError(problem, code="shape")


class WeightField(forms.DecimalField):
    """A weight within a range the scoring can use (and its Decimal column can hold)."""

    def __init__(self, *args, lowest: int, highest: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.lowest, self.highest = lowest, highest

    def validate(self, value):
        super().validate(value)
        if value is not None and not self.lowest <= value <= self.highest:
            message = weight_message(self.lowest, self.highest)
            raise forms.ValidationError(f"{message.capitalize()}.", code="out_of_range")


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """The old password is checked as a sign-in is (through django-axes): wrong guesses count
    towards the same lockout, shared by every worker through the database."""

    def __init__(self, user, *args, request, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        user = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if user is None or user.pk != self.user.pk:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password
