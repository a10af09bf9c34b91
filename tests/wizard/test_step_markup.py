"""The wizard's reused field markup is exactly what crispy-forms renders for the same values."""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assessor.wizard import markup as step_markup
from assessor.wizard.fields import evidence_field, note_field
from assessor.wizard.forms import SectionForm

CONDITIONS = {"input_isolation": "the answer to “Where do inputs come from?” is “Mixed”"}


def crispy_blocks(form):
    """What the template would get if crispy rendered every field of this very form."""
    return [
        {
            "choice": str(as_crispy_field(form[q["key"]])),
            "note": str(as_crispy_field(form[note_field(q["key"])])),
            "evidence": str(as_crispy_field(form[evidence_field(q["key"])])),
        }
        for q in form.section["questions"]
    ]


def reused_blocks(form):
    return [
        {part: str(block[part]) for part in ("choice", "note", "evidence")}
        for block in form.blocks()
    ]


def initial_for(section, choices, note, link):
    """Initial values as the wizard builds them: choice, note and link per question."""
    initial = {}
    for index, question in enumerate(section["questions"]):
        offered = [c["key"] for c in question["choices"]]
        initial[question["key"]] = choices(index, offered)
        initial[note_field(question["key"])] = note
        initial[evidence_field(question["key"])] = link
    return initial


@pytest.mark.parametrize("answered", [False, True])
def test_every_step_matches_crispy_with_and_without_answers(document, answered):
    for section in document["sections"]:
        if answered:
            initial = initial_for(
                section,
                lambda i, offered: offered[i % len(offered)],
                "Checked with the owner.\nSecond line",
                "https://wiki.example.com/iam?a=1&b=2",
            )
        else:
            initial = {}
        form = SectionForm(initial=initial, section=section, conditions=CONDITIONS)
        assert step_markup.for_form(form) is not None
        assert reused_blocks(form) == crispy_blocks(form), section["title"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    step=st.integers(min_value=0, max_value=7),
    pick=st.integers(min_value=-1, max_value=6),
    note=st.text(max_size=80),
    link=st.text(max_size=60),
)
@example(step=0, pick=0, note="<script>alert(\"x\")</script> & 'quotes'", link='" onfocus="x')
@example(step=1, pick=-1, note="   ", link="")
@example(step=2, pick=0, note="\nleading newline", link="https://example.com/<b>")
def test_any_saved_values_render_as_crispy_renders_them(document, step, pick, note, link):
    section = document["sections"][step]

    def choose(index, offered):
        # -1 stands for a stored choice the question no longer offers.
        return "no-longer-offered" if pick < 0 else offered[(pick + index) % len(offered)]

    form = SectionForm(
        initial=initial_for(section, choose, note, link), section=section, conditions=CONDITIONS
    )
    assert reused_blocks(form) == crispy_blocks(form)


def test_the_markup_is_rendered_once_per_step_and_reused(document):
    section = document["sections"][4]
    first = SectionForm(initial={}, section=section, conditions=CONDITIONS)
    second = SectionForm(
        initial={section["questions"][0]["key"]: section["questions"][0]["choices"][1]["key"]},
        section=section,
        conditions=CONDITIONS,
    )
    assert step_markup.for_form(first) is step_markup.for_form(second)
    other = SectionForm(initial={}, section=document["sections"][3], conditions=CONDITIONS)
    assert step_markup.for_form(other) is not step_markup.for_form(first)


def test_a_bound_form_is_rendered_by_crispy_with_its_errors(document):
    section = document["sections"][4]
    key = section["questions"][0]["key"]
    form = SectionForm(
        {note_field(key): "a note without an answer"}, section=section, conditions=CONDITIONS
    )
    assert not form.is_valid()
    assert step_markup.for_form(form) is None
    block = form.blocks()[0]
    assert "Choose an answer to attach a note or evidence link to it." in block["choice"]
    assert "a note without an answer" in block["note"]


def test_a_step_whose_text_contains_the_placeholder_is_rendered_directly(document):
    section = dict(document["sections"][0])
    question = dict(section["questions"][0])
    question["text"] = f"Odd wording {step_markup.PLACEHOLDER}"
    section["questions"] = [question, *section["questions"][1:]]
    form = SectionForm(
        initial={note_field(question["key"]): "Kept."}, section=section, conditions=CONDITIONS
    )
    assert step_markup.for_form(form) is None
    assert reused_blocks(form) == crispy_blocks(form)
    assert "Kept." in form.blocks()[0]["note"]
