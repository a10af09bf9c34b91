"""The crispy-forms markup of a wizard step's fields, rendered once per step and reused.

crispy-forms renders a field through a stack of templates: about 0.6 ms a field on the
reference machine, and a step has three fields a question (a radio group, a note and an
evidence link), up to fifteen in the shipped bank. On a GET the markup differs between
requests only by the saved answers, so for an unbound step form this module has crispy
render, once per process and step content:

- each radio group with no choice checked, and with each of its choices checked;
- each note and evidence field empty, and with a placeholder value, split around it.

Each request then picks the radio variant and puts in the saved note and link, escaped as
Django's widget templates escape them. A bound form (a POST with errors) is rendered by crispy
directly. `tests/wizard/test_step_markup.py` checks that both ways give the same HTML.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from assessor.wizard.fields import evidence_field, note_field

# Plain letters and digits, which escaping leaves as they are. A step whose own text contains
# this string is not reused but rendered by crispy each time (see _build).
PLACEHOLDER = "zq0wizardvalue0qz"

_CACHE: OrderedDict[str, StepMarkup | None] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 64  # steps: several versions' worth, each with a step per section


@dataclass(frozen=True)
class TextMarkup:
    """A text field's markup when empty, and split around its value otherwise."""

    empty: str
    before: str
    after: str

    def render(self, value: str) -> SafeString:
        # Django's widgets drop an empty value (no `value` attribute, nothing in a textarea).
        if not value:
            return mark_safe(self.empty)  # noqa: S308 - crispy's own output
        return mark_safe(self.before + escape(value) + self.after)  # noqa: S308 - value escaped


@dataclass(frozen=True)
class QuestionMarkup:
    radios: dict[str, str]  # choice key -> the group with it checked; "" -> none checked
    note: TextMarkup
    evidence: TextMarkup

    def choice(self, value: str) -> SafeString:
        # A saved choice the question no longer offers checks nothing, as crispy would.
        return mark_safe(self.radios.get(value or "", self.radios[""]))  # noqa: S308


@dataclass(frozen=True)
class StepMarkup:
    questions: dict[str, QuestionMarkup]


def for_form(form) -> StepMarkup | None:
    """The reusable markup of an unbound `SectionForm`'s step, or None to render directly."""
    if form.is_bound:
        return None
    key = _content_key(form.section, form.conditions)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    markup = _build(form)
    with _CACHE_LOCK:
        _CACHE[key] = markup
        while len(_CACHE) > _CACHE_MAX:
            _CACHE.popitem(last=False)
    return markup


def _content_key(section: dict, conditions: dict[str, str]) -> str:
    """Everything the step's field markup depends on, hashed."""
    own = {q["key"]: conditions.get(q["key"], "") for q in section["questions"]}
    text = json.dumps([get_language(), section, own], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _build(form) -> StepMarkup | None:
    def rendered(name: str, initial: dict) -> str:
        variant = type(form)(initial=initial, section=form.section, conditions=form.conditions)
        return str(as_crispy_field(variant[name]))

    def text_markup(name: str) -> TextMarkup | None:
        with_value = rendered(name, {name: PLACEHOLDER})
        if with_value.count(PLACEHOLDER) != 1:
            return None
        before, after = with_value.split(PLACEHOLDER)
        return TextMarkup(empty=rendered(name, {}), before=before, after=after)

    questions = {}
    for question in form.section["questions"]:
        key = question["key"]
        radios = {"": rendered(key, {})}
        for choice in question["choices"]:
            radios[choice["key"]] = rendered(key, {key: choice["key"]})
        note = text_markup(note_field(key))
        evidence = text_markup(evidence_field(key))
        if note is None or evidence is None:
            return None  # the placeholder clashes with the step's own text: render directly
        questions[key] = QuestionMarkup(radios=radios, note=note, evidence=evidence)
    return StepMarkup(questions=questions)
