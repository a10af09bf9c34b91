"""The studio's forms: one small form per bank item, the weight table and the condition builder.

Each form carries the draft's revision (see `studio.draft_edit`). The forms check what one item
can say about itself (a number in range, a label not empty); the whole bank is validated when
the change is saved.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from assessor.engine import VERDICT_LABELS
from assessor.models import FrameworkReference, Rule
from assessor.records.validators import DIMENSION_WEIGHT_RANGE, POINTS_RANGE, xml_text
from assessor.studio.services import version_name_problem

MAX_CLAUSES = 12


class DraftForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Bootstrap's classes on the widgets, so a page of many small forms renders them with
        # Django's plain `as_div` (fast) and still looks like the rest of the app. Every text
        # goes into the PDF and the exports: none may hold a character they cannot.
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and xml_text not in field.validators:
                field.validators.append(xml_text)
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not widget.is_hidden and not isinstance(widget, forms.RadioSelect):
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean(self):
        cleaned = super().clean()
        if "revision" in self.errors:  # a hidden field: say it where the reader will see it
            raise forms.ValidationError(
                "This form lacks the draft's revision; reload the page and try again."
            )
        return cleaned


def _decimal(low, high, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        widget=forms.NumberInput(attrs={"step": "any"}),
        **kwargs,
    )


class SectionForm(DraftForm):
    title = forms.CharField(max_length=200)
    intro = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QuestionForm(DraftForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    help_text = forms.CharField(
        label="Help", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    control = forms.CharField(
        label="Control a safer answer stands for", max_length=200, required=False
    )
    scope = forms.BooleanField(
        label="Describes the workflow's scope (the path to the next level never changes it)",
        required=False,
    )
    optional = forms.BooleanField(
        label=(
            "Optional: shown and left unanswered, it counts for nothing (for a fact that can "
            "only lower a verdict; never a core question, and no points)"
        ),
        required=False,
    )

    def __init__(self, *args, core: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.core = core

    def clean_optional(self):
        optional = self.cleaned_data.get("optional", False)
        if optional and self.core:
            raise forms.ValidationError(
                "A core question must be answered for a verdict, so it cannot be optional."
            )
        return optional


class DimensionForm(DraftForm):
    label = forms.CharField(max_length=100)
    weight = _decimal(*DIMENSION_WEIGHT_RANGE)


class ThresholdsForm(DraftForm):
    supervised = _decimal(0, 100, label="Supervised from score")
    owner = _decimal(0, 100, label="Bounded ownership from score")

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("supervised"), cleaned.get("owner")
        if low is not None and high is not None and not low < high:
            self.add_error(
                "owner",
                f"Bounded ownership must start above supervised ({low}); thresholds go in order.",
            )
        return cleaned


class WeightTableForm(DraftForm):
    """Points of each choice of one question on each dimension; blank means no points there."""

    def __init__(self, *args, question: dict, dimensions: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.question, self.dimensions = question, dimensions
        self.cells: dict[str, tuple[str, str]] = {}
        self.rows = []
        self.labels: dict[str, str] = {}
        for choice in question["choices"]:
            label_name = f"label__{choice['key']}"
            self.fields[label_name] = forms.CharField(
                max_length=200, label=f"Label of choice {choice['key']}"
            )
            self.initial.setdefault(label_name, choice["label"])
            self.labels[label_name] = choice["key"]
            row = [label_name]
            for dim in dimensions:
                name = f"w__{choice['key']}__{dim['key']}"
                field = _decimal(
                    *POINTS_RANGE, required=False, label=f"{choice['label']}: {dim['label']}"
                )
                self.fields[name] = field
                self.initial.setdefault(name, choice["weights"].get(dim["key"]))
                self.cells[name] = (choice["key"], dim["key"])
                row.append(name)
            self.rows.append((choice, row))

    def table(self):
        """(choice, its label field, [its points field per dimension]) per row."""
        return [
            (choice, self[names[0]], [self[name] for name in names[1:]])
            for choice, names in self.rows
        ]

    def choice_labels(self) -> dict[str, str]:
        """choice key -> label, from the cleaned data."""
        return {key: self.cleaned_data[name] for name, key in self.labels.items()}

    def weights(self) -> dict[str, dict[str, float]]:
        """choice key -> {dimension: points}, from the cleaned data."""
        weights: dict[str, dict[str, float]] = {c["key"]: {} for c in self.question["choices"]}
        for name, (choice, dim) in self.cells.items():
            value = self.cleaned_data.get(name)
            if value is not None:
                weights[choice][dim] = float(value)
        return weights


class ConditionBuilderForm(DraftForm):
    """A condition without JSON: clauses (a question, 'is' or 'is not', some of its choices)
    joined by all / any. Rows are numbered; a blank row is ignored."""

    combine = forms.ChoiceField(
        label="Combine the conditions",
        choices=[("all", "All of these hold"), ("any", "Any of these holds")],
        initial="all",
        widget=forms.RadioSelect,
    )
    allow_empty = False

    def __init__(self, *args, questions: list[dict], condition: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.question_map = {q["key"]: q for q in questions}
        combine, clauses = flat_clauses(condition)
        self.nested = condition is not None and clauses is None
        clauses = clauses or []
        count = len(clauses) + 1
        if self.is_bound:
            count = _clause_count(self.data, self.prefix, count)
        self.initial.setdefault("combine", combine)
        question_choices = [("", "(pick a question)")] + [
            (q["key"], f"{q['key'].replace('_', ' ')}: {q['text'][:90]}") for q in questions
        ]
        self.clause_names = []
        for i in range(count):
            names = (f"clause-{i}-question", f"clause-{i}-op", f"clause-{i}-choices")
            given = clauses[i] if i < len(clauses) else None
            picked = self._picked(names[0], given)
            self.fields[names[0]] = forms.ChoiceField(
                label=f"Condition {i + 1}: question", choices=question_choices, required=False
            )
            self.fields[names[1]] = forms.ChoiceField(
                label=f"Condition {i + 1}: answer",
                choices=[("in", "is one of"), ("not_in", "is none of")],
                required=False,
            )
            options = [
                (c["key"], c["label"]) for c in self.question_map.get(picked, {}).get("choices", [])
            ]
            self.fields[names[2]] = forms.MultipleChoiceField(
                label=f"Condition {i + 1}: choices",
                choices=options,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            if given is not None:
                op = "in" if "in" in given else "not_in"
                self.initial.setdefault(names[0], given["question"])
                self.initial.setdefault(names[1], op)
                self.initial.setdefault(names[2], given[op])
            self.clause_names.append(names)

    def _picked(self, name: str, given: dict | None) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "")
        return (given or {}).get("question", "")

    def clause_rows(self):
        return [[self[name] for name in names] for names in self.clause_names]

    def clean(self):
        cleaned = super().clean() or {}
        leaves = []
        for question_name, op_name, choices_name in self.clause_names:
            key, chosen = cleaned.get(question_name), cleaned.get(choices_name) or []
            if not key and not chosen:
                continue
            if not key:
                self.add_error(question_name, "Pick the question these choices belong to.")
            elif not chosen:
                self.add_error(choices_name, "Pick at least one choice of this question.")
            else:
                leaves.append({"question": key, cleaned.get(op_name) or "in": list(chosen)})
        if not leaves and not self.allow_empty and not self.errors:
            raise forms.ValidationError("Give at least one condition: a question and its choices.")
        if len(leaves) > 1:
            cleaned["condition"] = {cleaned.get("combine") or "all": leaves}
        else:
            cleaned["condition"] = leaves[0] if leaves else None
        return cleaned


def _clause_count(data, prefix, default: int) -> int:
    name = f"{prefix}-clauses" if prefix else "clauses"
    try:
        count = int(data.get(name, default))
    except (TypeError, ValueError):
        count = default
    if data.get("action") == "add":
        count += 1
    return max(1, min(count, MAX_CLAUSES))


def flat_clauses(condition: dict | None) -> tuple[str, list[dict] | None]:
    """(all/any, leaf clauses) of a condition one group deep; (..., None) if nested deeper."""
    if not condition:
        return "all", []
    for op in ("all", "any"):
        if op in condition:
            children = condition[op]
            if all("question" in child for child in children):
                return op, list(children)
            return op, None
    return "all", [condition]


class RuleForm(ConditionBuilderForm):
    key = forms.SlugField(
        label="Rule id (letters, digits and hyphens; reports and exports name the rule by it)",
        max_length=80,
    )
    kind = forms.ChoiceField(
        label="What the rule does while its condition holds",
        choices=[
            (Rule.Kind.CAP, "Caps the verdict: at most the level below, whatever the score"),
            (Rule.Kind.FLOOR, "Lifts the verdict: at least the level below, whatever the score"),
        ],
        initial=Rule.Kind.CAP,
        required=False,  # a form from before floors existed: a cap
        widget=forms.RadioSelect,
    )
    cap = forms.ChoiceField(
        label="Level",
        choices=[(key, VERDICT_LABELS[key]) for key in ("copilot", "supervised")],
    )
    reason = forms.CharField(
        label="Reason (shown to reviewers in the report)", widget=forms.Textarea(attrs={"rows": 3})
    )
    frameworks = forms.ModelMultipleChoiceField(
        label="Framework references",
        queryset=FrameworkReference.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, draft, rule: Rule | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.draft, self.rule = draft, rule
        self.fields["frameworks"].label_from_instance = lambda ref: f"{ref.ref}: {ref.title}"

    def clean_key(self):
        key = self.cleaned_data["key"]
        taken = Rule.objects.filter(questionnaire=self.draft, key=key)
        if self.rule is not None:
            taken = taken.exclude(pk=self.rule.pk)
        if taken.exists():
            raise forms.ValidationError(f"This version already has a rule {key!r}.")
        return key

    def clean(self):
        cleaned = super().clean()
        cleaned["kind"] = cleaned.get("kind") or Rule.Kind.CAP
        if cleaned["kind"] == Rule.Kind.FLOOR and cleaned.get("cap") == "copilot":
            self.add_error(
                "cap",
                "A floor at Copilot lifts nothing: every verdict is at least Copilot. "
                "Give Supervised.",
            )
        return cleaned


class ConditionForm(ConditionBuilderForm):
    """One of the four conditions for ownership: its title, its reason and when it is met."""

    title = forms.CharField(max_length=200)
    reason = forms.CharField(
        label="Why the verdict stays at supervised while it is not met",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FollowUpForm(ConditionBuilderForm):
    """When a follow-up question is asked; no condition means it is always asked."""

    allow_empty = True


class PublishForm(forms.Form):
    name = forms.CharField(
        label="Version name (what reports will print, e.g. 2026.3)",
        max_length=50,
        validators=[xml_text],
    )
    note = forms.CharField(
        label="Release note (what changed and why; shown on the versions page and in reports)",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        validators=[xml_text],
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        problem = version_name_problem(name)
        if problem:
            raise forms.ValidationError(problem)
        return name
