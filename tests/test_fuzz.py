"""Fuzzing with Hypothesis: random and malformed posts to every form never cause a 500 and never
half-save; and the scoring engine never rewards a riskier answer with a higher verdict.

Fixtures run once per test, while Hypothesis runs many examples inside it; so each example runs
in a savepoint that is rolled back (`one_example`), and every example starts from the same
stored state. Each property compares a snapshot taken before and after the request: either
nothing changed at all, or exactly what a valid form describes was saved, whole.

Regression tests below pin what the fuzzing found: an import whose answer is a JSON list or
object, an import with NUL characters (which PostgreSQL cannot store), and a task type listed
as riskier that scored higher than the one before it.
"""

import html
import io
import json
import time
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.core.validators import URLValidator
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from assessor import bank, engine
from assessor.bank import loading
from assessor.documents import exchange
from assessor.models import (
    NOTE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Answer,
    ApiToken,
    ApprovedReport,
    Assessment,
    Choice,
    ChoiceWeight,
    Decision,
    Dimension,
    ExportRecord,
    Question,
    Questionnaire,
    Rule,
    Section,
    Team,
)
from assessor.records import selectors, services
from assessor.review import services as review
from assessor.teams import access
from assessor.teams.membership import member_add
from assessor.wizard.fields import evidence_field, note_field
from assessor.wizard.forms import AssessmentForm, DecisionForm, SectionForm
from tests.builders import (
    BAD_LINKS,
    RECORD_ROUTES,
    SAFEST,
    api_client,
    assessor_routes,
    changelist_data,
    make_assessment,
    make_user,
    route_url,
)

pytestmark = pytest.mark.django_db

DOCUMENT = bank.load_bank_file()
MODEL = bank.build_model(DOCUMENT)
SECTIONS = DOCUMENT["sections"]
QUESTION_KEYS = [q.key for q in MODEL.questions]
CHOICE_KEYS = sorted({c.key for q in MODEL.questions for c in q.choices})
FOLLOW_UPS = [q.key for q in MODEL.questions if not q.core]
pks = st.integers(1, 6).map(str)
TAMPERED = {  # fields of the models that no form has, with values that would mean something
    "owner": pks,
    "team": pks,
    "status": st.sampled_from(["approved", "submitted", "draft"]),
    "verdict": st.sampled_from(["owner", "supervised", "copilot", ""]),
    "score": st.sampled_from(["100", "0", "99.9"]),
    "version": st.sampled_from(["1", "999"]),
    "answered_core": st.sampled_from(["25", "0"]),
    "total_core": st.sampled_from(["25", "1", "0"]),
    "questionnaire": pks,
    "previous": pks,
    "revision": st.sampled_from(["1", "9"]),
    "snapshot_document": st.just("{}"),
    "snapshot_result": st.just('{"verdict": "owner"}'),
    "id": pks,
    "pk": pks,
}
TAMPERING = sorted(TAMPERED)
FORM = "application/x-www-form-urlencoded"

WEB = settings(
    max_examples=30,
    deadline=None,
    database=None,  # write no example database into the working tree
    # Fixtures are set up once per test on purpose: every example rolls back its own changes.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- isolation and snapshots ----------------------------------------------------------------


@contextmanager
def one_example(client):
    """Run one example in a savepoint rolled back at the end, with no message cookie left over
    from the previous example, so every example sees the same state."""
    client.cookies.pop("messages", None)
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def snapshot() -> dict:
    """Every row a form post could touch, the audit trail included."""
    return {
        "assessments": list(Assessment.objects.order_by("pk").values()),
        "answers": list(Answer.objects.order_by("pk").values()),
        "decisions": list(Decision.objects.order_by("pk").values()),
        "approved": list(ApprovedReport.objects.order_by("pk").values_list("pk", "sha256")),
        "exports": ExportRecord.objects.count(),
        "history": (Assessment.history.count(), Answer.history.count()),
    }


def answers_of(assessment) -> dict:
    return {
        a.question_key: (a.choice_key, a.note, a.evidence_url)
        for a in Answer.objects.filter(assessment=assessment)
    }


SUMMARY = ("version", "verdict", "score", "answered_core", "total_core", "updated_at")


def fixed_fields(row: dict) -> dict:
    """An assessment row without the fields a save of answers is allowed to move."""
    return {key: value for key, value in row.items() if key not in SUMMARY}


def summary_of(row: dict) -> dict:
    score = row["score"]
    return {
        "verdict": row["verdict"],
        "score": None if score is None else float(score),
        "answered_core": row["answered_core"],
        "total_core": row["total_core"],
    }


SPEC_LINK = URLValidator(schemes=["http", "https"])
# What XML 1.0 (so every XLSX and PDF) cannot hold, written from its specification rather than
# taken from the app: C0 controls but tab, line feed and carriage return; surrogates; U+FFFE/F.
XML_FORBIDDEN = {chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))} | {
    "\ufffe",
    "\uffff",
}


def xml_safe(value: str) -> bool:
    return not any(
        character in XML_FORBIDDEN or "\ud800" <= character <= "\udfff" for character in value
    )


def assert_storable(answers: dict):
    """What the specification allows in stored answers, checked without the app's own forms:
    a choice of the question, a note of at most 2,000 characters, an http(s) link of at most
    500, nothing XML cannot hold (NUL among them) anywhere."""
    for key, (choice, note, link) in answers.items():
        assert choice in MODEL.question_map[key].choice_map, (key, choice)
        assert len(note) <= NOTE_MAX_LENGTH and xml_safe(note), key
        if link:
            assert len(link) <= URL_MAX_LENGTH and xml_safe(link), key
            SPEC_LINK(link)


def assert_storable_details(record):
    assert record.name.strip() and len(record.name) <= 200
    assert len(record.system) <= 200 and len(record.business_owner) <= 200
    assert len(record.description) <= 5000
    details = (record.name, record.description, record.system, record.business_owner)
    assert all(xml_safe(value) for value in details)


def post(client, url, pairs):
    """Post (key, value) pairs as a browser form would, repeated keys included. Returns the
    response and the posted data, parsed exactly as Django parses it."""
    body = urlencode(pairs)
    return client.generic("POST", url, body, content_type=FORM), QueryDict(body)


# --- strategies -----------------------------------------------------------------------------

text = st.text(max_size=40)  # any unicode, NUL and control characters included
# text people can store: no NUL, nothing XML forbids
clean_text = st.text(
    st.characters(codec="utf-8", exclude_characters=XML_FORBIDDEN), max_size=40
)  # utf-8: no lone surrogate, which no browser can send
overlong = st.sampled_from([199, 200, 201, 1999, 2000, 2001, 5000, 5001]).flatmap(
    lambda n: st.sampled_from(["x", "é", "監", "🙂", " "]).map(lambda c: c * n)
)
junk = st.one_of(text, overlong, st.integers().map(str), st.sampled_from(CHOICE_KEYS))
links = st.one_of(
    st.sampled_from(
        [
            "",
            "https://wiki.example.com/evidence",
            "http://ticket.example/?id=1&x=<b>",
            "javascript:alert(1)",
            "data:text/html,<script>x</script>",
            "file:///etc/passwd",
            "vbscript:msgbox(1)",
            "https://",
            "//evil.example/",
            "https://e.example/" + "a" * 482,  # exactly 500 characters
            "https://e.example/" + "a" * 483,  # one too many
        ]
    ),
    text,
)


def choice_for(key):
    question = MODEL.question_map[key]
    return st.one_of(
        st.sampled_from(question.choice_keys), st.sampled_from(CHOICE_KEYS), junk, st.just("")
    )


good_links = st.sampled_from(
    ["", "https://wiki.example.com/evidence", "http://ticket.example/?id=1&x=<b>"]
)
good_notes = st.one_of(st.just(""), clean_text, st.just("é" * 2000))
unknown_keys = text.filter(
    lambda key: (
        key.removesuffix("-note").removesuffix("-evidence") not in QUESTION_KEYS
        and key not in TAMPERED
    )
)
tampering = st.one_of(
    st.sampled_from([k for k in TAMPERING if k != "version"]).flatmap(
        lambda key: st.tuples(st.just(key), st.one_of(TAMPERED[key], junk))
    ),
    st.tuples(unknown_keys, junk),
)
buttons = st.one_of(
    st.just([]),
    st.sampled_from(["next", "back", "finish", "goto"]).flatmap(
        lambda button: st.tuples(
            st.just(button), st.one_of(st.just("1"), st.integers(-3, 12).map(str), junk)
        ).map(lambda pair: [pair])
    ),
)


@st.composite
def random_pairs(draw, own_keys=()):
    """Anything: this step's questions with any value (sometimes repeated), notes and links of
    any length, a question of another step now and then, model fields, random keys."""
    pairs = []
    for key in draw(st.lists(st.sampled_from(own_keys), unique=True)) if own_keys else []:
        for _ in range(draw(st.integers(1, 2))):
            pairs.append((key, draw(choice_for(key))))
        if draw(st.booleans()):
            pairs.append((f"{key}-note", draw(st.one_of(text, overlong))))
        if draw(st.booleans()):
            pairs.append((f"{key}-evidence", draw(links)))
    if own_keys and draw(st.sampled_from(range(4))) == 2:
        foreign = draw(st.sampled_from([k for k in QUESTION_KEYS if k not in own_keys]))
        suffix = draw(st.sampled_from(["", "-note", "-evidence"]))
        pairs.append((foreign + suffix, draw(choice_for(foreign))))
    pairs += draw(
        st.lists(st.tuples(st.one_of(st.sampled_from(TAMPERING), text), junk), max_size=3)
    )
    pairs += draw(buttons)
    return draw(st.permutations(pairs))


@st.composite
def tidy_pairs(draw, own_keys):
    """What a browser sends for this step (valid choices, notes and links), tampered with:
    model fields no form has, with meaningful values, and unknown keys."""
    pairs = []
    for key in draw(st.lists(st.sampled_from(own_keys), unique=True)):
        pairs.append((key, draw(st.sampled_from(MODEL.question_map[key].choice_keys))))
        if draw(st.booleans()):
            pairs.append((f"{key}-note", draw(good_notes)))
        if draw(st.booleans()):
            pairs.append((f"{key}-evidence", draw(good_links)))
    return pairs + draw(st.lists(tampering, max_size=3)) + draw(buttons)


BAD_NOTES = ["x" * 2001, "é" * 2001, "Tested\x00quarterly", "Tested\x0bquarterly", "A\ufffe"]
DEVIATIONS = {
    # each: own keys -> a strategy of the pairs to add to a tidy post
    "a question of another step": lambda own: st.sampled_from(
        [k for k in QUESTION_KEYS if k not in own]
    ).flatmap(
        lambda key: st.tuples(
            st.sampled_from([key, f"{key}-note", f"{key}-evidence"]),
            st.sampled_from(MODEL.question_map[key].choice_keys),
        ).map(lambda pair: [pair])
    ),
    "a link that is not http": lambda own: st.sampled_from(own).flatmap(
        lambda key: st.sampled_from(BAD_LINKS).map(
            lambda link: [(key, MODEL.question_map[key].choice_keys[0]), (f"{key}-evidence", link)]
        )
    ),
    "a note too long, or with NUL or a character XML forbids": lambda own: st.sampled_from(
        own
    ).flatmap(
        lambda key: st.sampled_from(BAD_NOTES).map(
            lambda note: [(key, MODEL.question_map[key].choice_keys[0]), (f"{key}-note", note)]
        )
    ),
    "a note without an answer": lambda own: st.sampled_from(own).map(
        lambda key: [(key, ""), (f"{key}-note", "Orphan note")]
    ),
    "a choice of another question": lambda own: st.sampled_from(own).flatmap(
        lambda key: st.sampled_from(
            [c for c in CHOICE_KEYS if c not in MODEL.question_map[key].choice_map]
        ).map(lambda choice: [(key, choice)])
    ),
}


versions = st.one_of(
    st.sampled_from(["current+1", "current-1", "missing"]),
    st.integers(-3, 10**30).map(str),
    junk,
)


def with_version(pairs, version, current):
    if version == "missing":
        return pairs
    value = {"current": current, "current+1": current + 1, "current-1": current - 1}.get(
        version, version
    )
    return [("version", str(value)), *pairs]


# --- the wizard -----------------------------------------------------------------------------


@pytest.fixture
def partly_answered(owner_client, owner, questionnaire):
    """Some steps answered (with notes, links and a shown follow-up), others not."""
    skipped = {"privilege_scope", "identities_affected", "shared_accounts", "legacy_iam"}
    answers = {k: v for k, v in SAFEST.items() if k not in skipped}
    answers.update(input_sources="mixed", input_isolation="filtered")
    return make_assessment(
        owner,
        answers=answers,
        notes={"kill_switch": "Tested quarterly.", "input_isolation": "Schema-checked."},
        links={"monitoring": "https://wiki.example.com/monitoring"},
    )


def section_of(step):
    return SECTIONS[step - 1] if 1 <= step <= len(SECTIONS) else None


@st.composite
def wizard_posts(draw):
    """(step, version, pairs): a tidy post, a tidy post with exactly one deviation (so a
    missing check shows at once), or a random one; now and then to a step that does not
    exist, or at a version other than the one saved."""
    step = draw(st.integers(1, len(SECTIONS)))
    if draw(st.sampled_from(range(8))) == 5:
        step = draw(st.sampled_from([0, len(SECTIONS) + 1, 10**6]))
    section = section_of(step)
    own = [q["key"] for q in section["questions"]] if section else []
    mode = draw(st.sampled_from(["tidy", "deviation", "deviation", "random"]))
    if mode == "random" or not own:
        event("wizard post: random")
        return step, draw(versions), draw(random_pairs(own))
    pairs = draw(tidy_pairs(own))
    version = "current"
    if mode == "deviation":
        deviation = draw(st.sampled_from([*DEVIATIONS, "a stale or bad version"]))
        event(f"wizard post: {deviation}")
        if deviation in DEVIATIONS:
            pairs += draw(DEVIATIONS[deviation](own))
        else:
            version = draw(versions)
    else:
        event("wizard post: tidy")
    return step, version, draw(st.permutations(pairs))


def expected_save(section, data, current):
    """What a correct wizard saves for this post: the form's answers, or None for nothing."""
    if section is None:
        return None
    own = {q["key"] for q in section["questions"]}
    named = {key.removesuffix("-note").removesuffix("-evidence") for key in data}
    if (named & set(QUESTION_KEYS)) - own:
        return None
    try:
        if int(data.get("version", "")) != current:
            return None
    except ValueError:
        return None
    form = SectionForm(data, section=section, conditions={})
    return form.answers() if form.is_valid() else None


def check_wizard_post(client, record, step, body: bytes | str):
    """Post a raw body to a step; assert it saved exactly the valid form's answers, or nothing."""
    record = Assessment.objects.get(pk=record.pk)
    before, answers_before = snapshot(), answers_of(record)
    row_before = Assessment.objects.filter(pk=record.pk).values().get()
    url = reverse("wizard", args=[record.pk, step])
    response = client.generic("POST", url, body, content_type=FORM)
    assert response.status_code < 500

    data = QueryDict(body)
    saved = expected_save(section_of(step), data, record.version)
    event(f"wizard: {'saved' if saved is not None else 'refused'}, {response.status_code}")
    if saved is None:
        assert snapshot() == before, "a refused post changed something"
        return
    assert response.status_code == 302
    expected = {**answers_before, **saved}
    assert answers_of(record) == expected
    assert_storable(expected)
    row = Assessment.objects.filter(pk=record.pk).values().get()
    assert fixed_fields(row) == fixed_fields(row_before)
    assert row["version"] == row_before["version"] + 1
    result = selectors.evaluate(record, {k: v[0] for k, v in expected.items()})
    assert summary_of(row) == services.summary_fields(result, row_before["total_core"])


@settings(WEB, max_examples=50)
@given(case=wizard_posts())
def test_random_wizard_posts_never_fail_and_save_a_whole_step_or_nothing(
    owner_client, partly_answered, case
):
    step, version, pairs = case
    with one_example(owner_client):
        pairs = with_version(pairs, version, partly_answered.version)
        check_wizard_post(owner_client, partly_answered, step, urlencode(pairs))


@WEB
@given(case=wizard_posts())
def test_random_live_preview_posts_never_fail_and_save_nothing(owner_client, partly_answered, case):
    step, version, pairs = case
    with one_example(owner_client):
        before = snapshot()
        pairs = with_version(pairs, version, partly_answered.version)
        response, _ = post(owner_client, reverse("preview", args=[partly_answered.pk, step]), pairs)
        assert response.status_code < 500
        assert snapshot() == before


@WEB
@given(body=st.binary(max_size=300), step=st.integers(1, len(SECTIONS)))
def test_random_bytes_posted_to_a_step_never_fail_and_save_whole_or_nothing(
    owner_client, partly_answered, body, step
):
    with one_example(owner_client):
        check_wizard_post(owner_client, partly_answered, step, body)


# --- new assessment -------------------------------------------------------------------------


@pytest.fixture
def two_teams(client, questionnaire, outsider):
    """A reviewer of Team A and Team C, so the team field is a real choice."""
    user = make_user("both", roles=("reviewer",))
    member_add(team_name="Team C", username="both", role="reviewer")
    client.force_login(user)
    return client, user


DETAILS = ["description", "system", "business_owner"]


@st.composite
def new_assessment_posts(draw, own_teams, all_teams):
    """Half tidy (a name and one of the user's teams, valid details, plus tampering fields and
    unknown keys), half random: any field, repeated, with any value and any team number."""
    if draw(st.booleans()):
        pairs = [
            ("name", draw(st.sampled_from(["Leaver deprovisioning", "Révision 访问", "x" * 200]))),
            ("team", str(draw(st.sampled_from(own_teams)))),
        ]
        for field in draw(st.lists(st.sampled_from(DETAILS), unique=True)):
            pairs.append((field, draw(good_notes if field == "description" else clean_text)))
        pairs += draw(st.lists(tampering, max_size=3))
        return draw(st.permutations(pairs))
    values = {
        "name": st.one_of(text, overlong, st.sampled_from(["Leaver deprovisioning", "   "])),
        "team": st.one_of(st.sampled_from(all_teams + [987654]).map(str), junk),
        **{field: st.one_of(text, overlong) for field in DETAILS},
    }
    pairs = []
    for field in draw(st.lists(st.sampled_from(sorted(values)), unique=True)):
        for _ in range(draw(st.integers(1, 2))):
            pairs.append((field, draw(values[field])))
    pairs += draw(random_pairs())
    return draw(st.permutations(pairs))


DETAILS = ["description", "system", "business_owner"]


@WEB
@given(data=st.data())
def test_random_new_assessment_posts_create_exactly_the_valid_form_or_nothing(two_teams, data):
    client, user = two_teams
    own = list(access.teams_for(user).values_list("pk", flat=True))
    pairs = data.draw(new_assessment_posts(own, list(Team.objects.values_list("pk", flat=True))))
    with one_example(client):
        before = snapshot()
        known = set(Assessment.objects.values_list("pk", flat=True))
        response, posted = post(client, reverse("assessment_new"), pairs)
        assert response.status_code < 500
        form = AssessmentForm(posted, teams=access.teams_for(user))
        created = Assessment.objects.exclude(pk__in=known)
        event(f"new assessment: {'created' if form.is_valid() else 'refused'}")
        if not form.is_valid():
            assert not created.exists()
            assert snapshot() == before
            return
        assert response.status_code == 302
        new = created.get()
        for field, value in form.cleaned_data.items():
            assert getattr(new, field) == value, field
        assert_storable_details(new)
        assert new.team.members.filter(pk=user.pk).exists()
        assert (new.owner, new.status, new.version, new.revision) == (user, "draft", 1, 1)
        assert (new.verdict, new.score, new.previous, new.answered_core) == ("", None, None, 0)
        assert new.total_core == len(MODEL.core_keys)
        assert not new.answers.exists()
        after = snapshot()
        after["assessments"] = [row for row in after["assessments"] if row["id"] != new.pk]
        assessments, answers = after.pop("history")
        assert (assessments, answers) == (before["history"][0] + 1, before["history"][1])
        assert after == {key: value for key, value in before.items() if key != "history"}


# --- import ---------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), clean_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(clean_text, children, max_size=4)
    ),
    max_leaves=12,
)
clean_overlong = overlong.filter(xml_safe)


@pytest.fixture
def export(owner, questionnaire):
    record = make_assessment(
        owner,
        answers={**SAFEST, "tool_chaining": "two_systems", "chain_credentials": "shared_token"},
        notes={"kill_switch": "Tested quarterly.", "chain_credentials": "One token."},
        links={"monitoring": "https://wiki.example.com/monitoring"},
        name="Exported workflow",
    )
    Assessment.objects.filter(pk=record.pk).update(description="What it does.")
    record.refresh_from_db()
    return exchange.assessment_export(record)


TOP_LEVEL = ["format", "format_version", "name", "description", "system", "business_owner",
             "questionnaire_version", "answers", "notes", "evidence", "result", "status",
             "fingerprint", "exported_at"]  # fmt: skip


FIELD = {"note": "notes", "link": "evidence"}
MUTATIONS = ["drop", "replace", "answer", "note", "link", "text", "edit", "edit", "edit"]


@st.composite
def mutated(draw, export):
    """A real export with up to three things changed, as a careless or hostile editor would,
    or as a reviewer would (another valid choice, a new note or link)."""
    data = json.loads(json.dumps(export))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(MUTATIONS))
        if kind == "edit" and isinstance(data.get("answers"), dict):
            key = draw(st.sampled_from(QUESTION_KEYS))
            data["answers"][key] = draw(st.sampled_from(MODEL.question_map[key].choice_keys))
            if isinstance(data.get("notes"), dict) and draw(st.booleans()):
                data["notes"][key] = draw(st.one_of(clean_text, clean_text, clean_overlong))
            if isinstance(data.get("evidence"), dict) and draw(st.booleans()):
                data["evidence"][key] = draw(st.one_of(good_links, links.filter(no_nul)))
        elif kind == "drop":
            data.pop(draw(st.sampled_from(TOP_LEVEL)), None)
        elif kind == "replace":
            data[draw(st.sampled_from(TOP_LEVEL))] = draw(json_values)
        elif kind == "answer" and isinstance(data.get("answers"), dict):
            key = draw(st.one_of(st.sampled_from(QUESTION_KEYS), clean_text))
            if draw(st.booleans()):
                data["answers"].pop(key, None)
            else:  # scalars only: a list or object here is the known crash, pinned below
                choices = st.one_of(st.sampled_from(CHOICE_KEYS), json_scalars)
                data["answers"][key] = draw(choices)
        elif kind in ("note", "link") and isinstance(data.get(FIELD[kind]), dict):
            field = FIELD[kind]
            key = draw(st.one_of(st.sampled_from(QUESTION_KEYS), clean_text))
            value = clean_text | clean_overlong if kind == "note" else links
            data[field][key] = draw(st.one_of(value, json_scalars).filter(no_nul))
        elif kind == "text":
            field = draw(st.sampled_from(["name", "description", "system", "business_owner"]))
            data[field] = draw(st.one_of(clean_text, clean_overlong, st.just("   ")))
    return data


def no_nul(value) -> bool:
    return "\x00" not in json.dumps(value, ensure_ascii=False)


def _answered(data):
    return sorted(data["answers"])


IMPORT_DEVIATIONS = {
    # each: a valid export -> a strategy of that export with exactly one fault
    "a link that is not http": lambda d: st.tuples(
        st.sampled_from(_answered(d)), st.sampled_from(BAD_LINKS)
    ).map(lambda kv: {**d, "evidence": {**d["evidence"], kv[0]: kv[1]}}),
    "a note too long": lambda d: st.tuples(
        st.sampled_from(_answered(d)), st.sampled_from(["x" * 2001, "é" * 2001])
    ).map(lambda kv: {**d, "notes": {**d["notes"], kv[0]: kv[1]}}),
    "a note for an unanswered question": lambda d: st.sampled_from(
        [k for k in QUESTION_KEYS if k not in d["answers"]]
    ).map(lambda key: {**d, "notes": {**d["notes"], key: "Orphan"}}),
    "an unknown question": lambda d: unknown_keys.map(
        lambda key: {**d, "answers": {**d["answers"], key: "yes"}}
    ),
    "a choice of another question": lambda d: st.sampled_from(_answered(d)).flatmap(
        lambda key: st.sampled_from(
            [c for c in CHOICE_KEYS if c not in MODEL.question_map[key].choice_map]
        ).map(lambda choice: {**d, "answers": {**d["answers"], key: choice}})
    ),
    "a name blank or too long": lambda d: st.sampled_from(["", "   ", "x" * 201]).map(
        lambda name: {**d, "name": name}
    ),
    "a character XML forbids in a text": lambda d: st.tuples(
        st.sampled_from(["name", "description", "system", "business_owner"]),
        st.sampled_from(sorted(XML_FORBIDDEN - {"\x00"})),
    ).map(lambda kv: {**d, kv[0]: f"Leaver{kv[1]}deprovisioning"}),
    "a detail too long": lambda d: st.sampled_from(
        [("description", "x" * 5001), ("system", "x" * 201), ("business_owner", "x" * 201)]
    ).map(lambda kv: {**d, kv[0]: kv[1]}),
    "another format or version": lambda d: st.sampled_from(
        [("format", "other"), ("format_version", 2), ("questionnaire_version", "1999.9")]
    ).map(lambda kv: {**d, kv[0]: kv[1]}),
}


@st.composite
def edited(draw, export):
    """The export as a reviewer might edit it: other valid choices, notes and http(s) links."""
    data = json.loads(json.dumps(export))
    for key in draw(st.lists(st.sampled_from(QUESTION_KEYS), max_size=3, unique=True)):
        data["answers"][key] = draw(st.sampled_from(MODEL.question_map[key].choice_keys))
        if draw(st.booleans()):
            data["notes"][key] = draw(st.one_of(clean_text, st.just("é" * 2000)))
        if draw(st.booleans()):  # never "": exports leave out empty links (an import refuses "")
            data["evidence"][key] = draw(good_links.filter(bool))
    # A follow-up its (edited) parent answer no longer asks is kept apart, as an export keeps
    # it: in `answers` it would be a refinement answered without its parent, which is refused.
    asked = engine.effective_answers(MODEL, data["answers"])
    hidden = {k: v for k, v in data["answers"].items() if k not in asked}
    if hidden:
        data["answers"] = asked
        data["hidden_answers"] = {**data.get("hidden_answers", {}), **hidden}
    return data


@st.composite
def uploads(draw, export):
    """(kind, content): an edited export (valid), an export with exactly one fault (so a
    missing check shows at once), a randomly mutated export, random JSON or random bytes."""
    kind = draw(st.sampled_from(["edited", "fault", "mutated", "json", "bytes"]))
    event(f"import: {kind}")
    if kind == "bytes":
        return kind, draw(st.binary(max_size=400))
    if kind == "edited":
        data = draw(edited(export))
    elif kind == "fault":
        fault = draw(st.sampled_from(sorted(IMPORT_DEVIATIONS)))
        data = draw(IMPORT_DEVIATIONS[fault](json.loads(json.dumps(export))))
    elif kind == "mutated":
        data = draw(mutated(export))
    else:
        data = draw(json_values)
    # Bytes, lists and objects as answers, NUL characters: all must be refused cleanly.
    return kind, json.dumps(data, ensure_ascii=draw(st.booleans())).encode()


@settings(WEB, max_examples=40)
@given(data=st.data())
def test_random_imports_create_one_faithful_draft_or_nothing(owner_client, owner, export, data):
    kind, content = data.draw(uploads(export))
    team = data.draw(st.one_of(st.just(None), junk))
    with one_example(owner_client):
        before = snapshot()
        known = set(Assessment.objects.values_list("pk", flat=True))
        fields = {"file": SimpleUploadedFile("export.json", content)}
        if team is not None:
            fields["team"] = team
        response = owner_client.post(reverse("import_upload"), fields)
        assert response.status_code < 500
        created = Assessment.objects.exclude(pk__in=known)
        event(f"import: {'created' if created.exists() else 'refused'}")
        if not created.exists():
            assert kind != "edited", "a valid export was refused"
            assert response.status_code == 200
            assert snapshot() == before
            return
        assert kind not in ("fault", "bytes"), "a faulty file was imported"
        assert response.status_code == 302
        new = created.get()
        file = json.loads(content)
        for field in exchange.TEXT_LIMITS:
            assert getattr(new, field) == file.get(field, "").strip()
        assert (new.owner, new.team.name, new.status, new.version) == (owner, "Team A", "draft", 1)
        stored = answers_of(new)
        notes, evidence = file.get("notes", {}), file.get("evidence", {})
        every = {**file.get("hidden_answers", {}), **file["answers"]}  # kept apart, kept all
        assert stored == {
            key: (choice, notes.get(key, ""), evidence.get(key, ""))
            for key, choice in every.items()
        }
        assert_storable(stored)
        assert_storable_details(new)
        result = selectors.evaluate(new, file["answers"])
        row = Assessment.objects.filter(pk=new.pk).values().get()
        assert summary_of(row) == services.summary_fields(result, len(MODEL.core_keys))
        others = [row for row in snapshot()["assessments"] if row["id"] != new.pk]
        assert others == before["assessments"]


@pytest.mark.parametrize("value", [["yes"], {"yes": True}])
def test_an_import_whose_answer_is_a_list_or_object_is_refused_not_a_500(
    owner_client, export, value
):
    export["answers"]["kill_switch"] = value
    upload = SimpleUploadedFile("export.json", json.dumps(export).encode())
    before = snapshot()
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    assert response.status_code == 200
    assert "unknown choice for kill_switch" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("where", ["name", "description", "note"])
def test_an_import_with_a_nul_character_is_refused_like_the_forms_refuse_it(
    owner_client, export, where
):
    if where == "note":
        export["notes"]["kill_switch"] = "Tested\x00quarterly."
    else:
        export[where] = "Exported\x00workflow"
    upload = SimpleUploadedFile("export.json", json.dumps(export).encode())
    before = snapshot()
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    assert response.status_code == 200
    assert snapshot() == before


# --- review decisions -----------------------------------------------------------------------


@pytest.fixture
def decision_case(request, client, owner, approver, questionnaire):
    """(client, record, action): a complete draft to submit, or a submitted one to judge."""
    action = request.param
    record = make_assessment(owner, answers=SAFEST)
    if action == "submit":
        client.force_login(owner)
    else:
        review.assessment_submit(assessment=record, user=owner)
        client.force_login(approver)
    record.refresh_from_db()
    return client, record, action


@st.composite
def decision_posts(draw):
    comments = st.one_of(
        text,
        overlong,
        st.sampled_from(["", "   ", "Looks right.", "x" * 2000, "x" * 2001, "Fix the link."]),
        clean_text.map(lambda comment: "Please: " + comment),
    )
    pairs = [("comment", draw(comments)) for _ in range(draw(st.integers(0, 2)))]
    pairs += draw(random_pairs())
    # approval also needs its box ticked: sometimes ticked, sometimes sent unticked or not at all
    confirms = st.sampled_from(["yes", "on", "", "false", "0"])
    pairs += [("confirm", draw(confirms)) for _ in range(draw(st.integers(0, 1)))]
    return draw(st.permutations(pairs))


NEW_STATUS = {"submit": "submitted", "approve": "approved", "return": "returned"}
ACTION = {"submit": "submitted", "approve": "approved", "return": "returned"}


@WEB
@pytest.mark.parametrize("decision_case", ["submit", "return", "approve"], indirect=True)
@given(pairs=decision_posts())
def test_random_decision_comments_change_the_status_whole_or_not_at_all(decision_case, pairs):
    client, record, action = decision_case
    with one_example(client):
        before = snapshot()
        response, data = post(client, reverse(action, args=[record.pk]), pairs)
        assert response.status_code < 500
        # the specification, not the form: at most 2,000 characters once trimmed, nothing XML
        # forbids (NUL among them), and returning needs a reason
        comment = data.get("comment", "").strip()
        valid = len(comment) <= NOTE_MAX_LENGTH and xml_safe(comment)
        # approving also needs the box ticked, as a checkbox reads it: any value but "false"
        confirmed = data.get("confirm", "").lower() not in ("", "false")
        applies = valid and (action != "return" or comment) and (action != "approve" or confirmed)
        assert DecisionForm(data).is_valid() == valid
        event(f"{action}: {'applied' if applies else 'refused'}")
        if not applies:
            assert snapshot() == before
            return
        row = Assessment.objects.get(pk=record.pk)
        assert row.status == NEW_STATUS[action]
        assert row.version == record.version + 1
        decision = Decision.objects.filter(assessment=record).latest("id")
        assert (decision.action, decision.comment) == (ACTION[action], comment)
        assert Decision.objects.count() == len(before["decisions"]) + 1
        assert ApprovedReport.objects.filter(assessment=record).exists() == (action == "approve")
        assert list(Answer.objects.order_by("pk").values()) == before["answers"]


# --- URLs -----------------------------------------------------------------------------------


@WEB
@given(
    name=st.sampled_from(sorted(RECORD_ROUTES)),
    pk=st.one_of(st.integers(0, 10), st.integers(0, 2**80)),
    other=st.integers(0, 2**80),
    step=st.one_of(st.integers(0, 12), st.integers(0, 2**80)),
    method=st.sampled_from(["get", "post"]),
)
def test_random_record_and_step_numbers_in_urls_never_fail(
    owner_client, partly_answered, name, pk, other, step, method
):
    args = assessor_routes()[name]
    with one_example(owner_client):
        before = snapshot()
        url = route_url(name, args, pk, other=other, step=step)
        response = getattr(owner_client, method)(url)
        assert response.status_code < 500
        if pk != partly_answered.pk:
            assert response.status_code in (404, 405)
            assert snapshot() == before


# --- the scoring engine: riskier answers never raise the verdict ----------------------------


@st.composite
def complete_answers(draw):
    """Every core question answered, and each follow-up answered or not."""
    answers = {q.key: draw(st.sampled_from(q.choice_keys)) for q in MODEL.questions if q.core}
    for key in FOLLOW_UPS:
        if draw(st.booleans()):
            answers[key] = draw(st.sampled_from(MODEL.question_map[key].choice_keys))
    return answers


@st.composite
def riskier_moves(draw):
    """(answers, question, riskier choice): one answer moved later in its choice list."""
    answers = draw(complete_answers())
    movable = [k for k, v in answers.items() if v != MODEL.question_map[k].choice_keys[-1]]
    assume(movable)
    key = draw(st.sampled_from(sorted(movable)))
    keys = MODEL.question_map[key].choice_keys
    position = keys.index(answers[key])
    return answers, key, keys[draw(st.integers(position + 1, len(keys) - 1))]


ENGINE = settings(max_examples=300, deadline=None, database=None)
# Found by this test once: task_type's "other" (listed after privilege_escalation) used to score
# higher and trip no rule, lifting supervised to bounded ownership.
TASK_TYPE_REGRESSION = ({**SAFEST, "task_type": "privilege_escalation"}, "task_type", "other")


def assert_not_raised(answers, key, riskier):
    before = engine.evaluate(MODEL, answers)
    after = engine.evaluate(MODEL, {**answers, key: riskier})
    assert engine.VERDICT_RANK[after.verdict] <= engine.VERDICT_RANK[before.verdict], (
        f"{key}: {answers[key]} -> {riskier} raised {before.verdict} ({before.score}) "
        f"to {after.verdict} ({after.score})"
    )


@ENGINE
@example(move=TASK_TYPE_REGRESSION)
@given(move=riskier_moves())
def test_a_riskier_answer_never_raises_the_verdict(move):
    assert_not_raised(*move)


# --- inputs that used to crash or hang: nested and oversized JSON, surrogates ---------------------

HOSTILE_FIELDS = [*TOP_LEVEL, "answers", "notes", "evidence"]


def _nested(depth: int, leaf: str = "0") -> str:
    return "[" * depth + leaf + "]" * depth


@st.composite
def hostile_json(draw, export):
    """(kind, JSON bytes) that the import must refuse with a reason: nesting far past any
    export (alone, or under any field of a valid one), integers too long to convert, lone
    surrogates, NaN or Infinity, or a file over the upload limit."""
    kind = draw(st.sampled_from(["deep", "deep inside", "long integer", "surrogate", "constant"]))
    event(f"hostile json: {kind}")
    if kind == "deep":
        depth = draw(st.one_of(st.integers(21, 2_000), st.integers(2_000, 100_000)))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return kind, (opener * depth + "0" + closer * depth).encode()
    if kind == "deep inside":
        hostile = _nested(draw(st.integers(21, 1_000)))
    elif kind == "long integer":
        hostile = draw(st.sampled_from(["", "-"])) + "9" * draw(st.integers(4_301, 6_000))
    elif kind == "surrogate":
        unit = draw(st.integers(0xD800, 0xDFFF))
        # json.dumps writes a lone surrogate as its \\u escape, as a hostile file would
        hostile = json.dumps(draw(clean_text) + chr(unit) + draw(clean_text))
    else:
        hostile = draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))
    data = json.loads(json.dumps(export))
    field = draw(st.sampled_from(HOSTILE_FIELDS))
    if field in ("answers", "notes", "evidence"):
        data[field][draw(st.sampled_from(QUESTION_KEYS))] = "__HOSTILE__"
    else:
        data[field] = "__HOSTILE__"
    return kind, json.dumps(data).replace('"__HOSTILE__"', hostile, 1).encode()


def import_command(path, owner="owner"):
    """Run import_assessment; (exit status, message)."""
    try:
        call_command("import_assessment", str(path), "--owner", owner, stdout=io.StringIO())
    except CommandError as error:
        return error.returncode, str(error)
    return 0, ""


@settings(WEB, max_examples=25)
@given(data=st.data())
def test_nested_and_oversized_json_is_refused_by_the_web_import(owner_client, export, data):
    kind, content = data.draw(hostile_json(export))
    with one_example(owner_client):
        before = snapshot()
        upload = SimpleUploadedFile("export.json", content)
        response = owner_client.post(reverse("import_upload"), {"file": upload})
        assert response.status_code == 200, kind
        assert "The file cannot be imported" in response.content.decode(), kind
        assert snapshot() == before


@settings(WEB, max_examples=25)
@given(data=st.data())
def test_nested_and_oversized_json_is_refused_by_the_import_command(
    owner_client, export, tmp_path, data
):
    kind, content = data.draw(hostile_json(export))
    path = tmp_path / "export.json"
    path.write_bytes(content)
    with one_example(owner_client):
        before = snapshot()
        status, message = import_command(path)
        assert status == 2, (kind, message)
        assert "cannot be imported" in message
        assert snapshot() == before


def deep_inside(export, depth):
    data = json.loads(json.dumps(export))
    data["answers"]["kill_switch"] = "__HOSTILE__"
    return json.dumps(data).replace('"__HOSTILE__"', _nested(depth)).encode()


REPORTED = {  # the cases from issue 12, each with the reason the user is given
    "100,000 deep": (lambda export: _nested(100_000).encode(), "nested deeper than 20 levels"),
    "480 deep in an export": (lambda e: deep_inside(e, 480), "nested deeper than 20 levels"),
    "a 5,000-digit integer": (
        lambda e: json.dumps({**e, "format_version": "__N__"}).replace('"__N__"', "9" * 5000),
        "more than 4,300 digits",
    ),
    "a lone surrogate in the name": (
        lambda e: json.dumps({**e, "name": "__S__"}).replace("__S__", "Rotation \\ud800"),
        '"name" contains a lone surrogate',
    ),
}


@pytest.mark.parametrize("case", sorted(REPORTED))
def test_the_reported_imports_are_refused_quickly_with_their_reason(
    owner_client, export, tmp_path, case
):
    build, reason = REPORTED[case]
    content = build(export)
    content = content if isinstance(content, bytes) else content.encode()
    before = snapshot()
    started = time.monotonic()
    response = owner_client.post(
        reverse("import_upload"), {"file": SimpleUploadedFile("export.json", content)}
    )
    assert response.status_code == 200
    assert reason in html.unescape(response.content.decode())
    path = tmp_path / "export.json"
    path.write_bytes(content)
    status, message = import_command(path)
    assert (status, reason in message) == (2, True), message
    assert time.monotonic() - started < 10  # 480 deep used to hang a server thread for minutes
    assert snapshot() == before


@pytest.mark.parametrize("case", sorted(REPORTED))
def test_the_assess_command_exits_2_on_the_same_input(export, tmp_path, case):
    build, reason = REPORTED[case]
    content = build({"name": "x", "answers": dict(SAFEST)} if "480" not in case else export)
    path = tmp_path / "workflow.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(CommandError) as raised:
        call_command("assess", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 2


# --- API bodies that DRF's own parser turned into a 500 ------------------------------------------


@pytest.fixture
def api_record(owner, questionnaire):
    record = make_assessment(owner, answers={"task_type": "secret_rotation"}, name="API record")
    return SimpleNamespace(record=record, client=api_client(owner))


def _step_body(record, answers: str) -> str:
    return f'{{"version": {record.version}, "answers": {answers}}}'


@st.composite
def hostile_api_bodies(draw, record):
    """(kind, body) for a step's PUT that no parser should take: nesting far past any body,
    alone or inside a valid one, a lone surrogate as an answer key or in a note, an integer too
    long to convert, NaN or Infinity."""
    kind = draw(st.sampled_from(["deep", "deep inside", "surrogate key", "surrogate note"]))
    kind = draw(st.sampled_from([kind, "long integer", "constant"]))
    event(f"hostile api body: {kind}")
    unit = chr(draw(st.integers(0xD800, 0xDFFF)))
    if kind == "deep":
        depth = draw(st.one_of(st.integers(21, 2_000), st.integers(2_000, 100_000)))
        opener = draw(st.sampled_from(["[", '{"a":']))
        return kind, opener * depth + "0" + ("]" if opener == "[" else "}") * depth
    if kind == "deep inside":
        inner = _nested(draw(st.integers(21, 3_000)))
        return kind, _step_body(record, f'{{"task_type": {{"choice": {inner}}}}}')
    if kind == "surrogate key":  # written as its \\u escape, as a hostile client would
        key = json.dumps(draw(clean_text) + unit)
        return kind, _step_body(record, f'{{{key}: {{"choice": "x"}}}}')
    if kind == "surrogate note":
        note = json.dumps(draw(clean_text) + unit + draw(clean_text))
        return kind, _step_body(record, f'{{"task_type": {{"choice": "other", "note": {note}}}}}')
    if kind == "long integer":
        return kind, f'{{"version": {"9" * draw(st.integers(4_301, 6_000))}, "answers": {{}}}}'
    constant = draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))
    return kind, f'{{"version": {constant}, "answers": {{}}}}'


def assert_json_400(response, kind):
    assert response.status_code == 400, kind
    assert response["Content-Type"] == "application/json", kind
    detail = response.json()["detail"]
    assert detail.startswith("The body cannot be read: "), (kind, detail)
    return detail


@settings(WEB, max_examples=30)
@given(data=st.data())
def test_hostile_json_bodies_get_a_clear_400_from_every_api_write(api_record, data):
    record = api_record.record
    kind, body = data.draw(hostile_api_bodies(record))
    target = data.draw(
        st.sampled_from(
            [
                ("put", f"/api/v1/assessments/{record.pk}/answers/1/"),
                ("post", "/api/v1/assessments/"),
                ("post", f"/api/v1/assessments/{record.pk}/submit/"),
            ]
        )
    )
    method, url = target
    before = snapshot()
    response = getattr(api_record.client, method)(url, body, content_type="application/json")
    assert_json_400(response, kind)
    assert snapshot() == before


API_REPORTED = {  # issue 23: each was a 500
    "1,000 deep": (lambda record: _nested(1_000), "nested deeper than 20 levels"),
    "a lone surrogate as an answer key": (
        lambda record: _step_body(record, '{"\\ud800": {"choice": "x"}}'),
        'a key "answers" contains a lone surrogate',
    ),
}


@pytest.mark.parametrize("case", sorted(API_REPORTED))
def test_the_reported_api_bodies_get_a_400_with_their_reason(api_record, case):
    build, reason = API_REPORTED[case]
    record = api_record.record
    before = snapshot()
    response = api_record.client.put(
        f"/api/v1/assessments/{record.pk}/answers/1/",
        build(record),
        content_type="application/json",
    )
    assert reason in assert_json_400(response, case)
    assert snapshot() == before


# --- command arguments and bank files that used to print a traceback ------------------------------

SURROGATE = "\udcff"  # what Python makes of a byte that is not UTF-8 on the command line


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("add_member", SURROGATE, "bob", "--role", "reviewer"), "TEAM"),
        (("add_member", "Team A", f"bob{SURROGATE}", "--role", "reviewer"), "USERNAME"),
        (("add_member", "Team\x00A", "bob", "--role", "reviewer"), "TEAM"),
        (("export_questionnaire", "--version", SURROGATE), "--version"),
        (("publish_questionnaire", f"2026{SURROGATE}"), "VERSION"),
        (("seed_examples", "--owner", SURROGATE), "--owner"),
        (("ensure_admin", "--username", SURROGATE), "--username"),
        (("import_assessment", "export.json", "--owner", SURROGATE), "--owner"),
        (("import_assessment", "export.json", "--owner", "owner", "--team", SURROGATE), "--team"),
    ],
)
def test_a_command_argument_the_database_cannot_hold_exits_2_naming_it(
    owner, questionnaire, args, field
):
    before = snapshot()
    with pytest.raises(CommandError) as raised:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 2
    assert str(raised.value).startswith(f"{field}: ")
    assert snapshot() == before


def bank_file(tmp_path, change) -> str:
    raw = yaml.safe_load(bank.DEFAULT_BANK.read_text(encoding="utf-8"))
    raw["version"] = "2099.1"
    change(raw)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


def _first_choice(raw):
    return raw["sections"][0]["questions"][0]["choices"][0]


BAD_BANKS = {
    "a weight of 1e308": (
        lambda raw: _first_choice(raw)["weights"].update({raw["dimensions"][0]["key"]: 1e308}),
        "weight on 'trigger' must be from -1000 to 1000, not 1e+308",
    ),
    "a dimension weight of 1e300": (
        lambda raw: raw["dimensions"][0].update(weight=1e300),
        "dimension 'trigger': weight must be from 0 to 100, not 1e+300",
    ),
    "a NUL in a title": (lambda raw: raw.update(title="Bank\x00"), '"title" contains a NUL'),
    "a version label too long": (lambda raw: raw.update(version="9" * 51), "version: at most 50"),
}


@pytest.mark.parametrize("case", sorted(BAD_BANKS))
def test_load_questionnaire_exits_2_naming_what_the_database_cannot_hold(
    questionnaire, tmp_path, case
):
    change, reason = BAD_BANKS[case]
    before = snapshot_bank()
    with pytest.raises(CommandError) as raised:
        call_command("load_questionnaire", bank_file(tmp_path, change), stdout=io.StringIO())
    assert raised.value.returncode == 2
    assert reason in str(raised.value)
    assert snapshot_bank() == before


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\xff\xfe version", "not UTF-8 text"), (b"a: " + b"[" * 5000 + b"]" * 5000, "too deep")],
)
def test_load_questionnaire_exits_2_on_a_file_that_is_not_a_bank(tmp_path, content, reason):
    path = tmp_path / "bank.yaml"
    path.write_bytes(content)
    with pytest.raises(CommandError) as raised:
        call_command("load_questionnaire", str(path), stdout=io.StringIO())
    assert raised.value.returncode == 2
    assert reason in str(raised.value)


def snapshot_bank():
    return {
        "versions": list(Questionnaire.objects.values_list("version", "content_hash")),
        "weights": list(ChoiceWeight.objects.order_by("pk").values_list("points", flat=True)),
    }


# --- the back office: conditions and weights the bank's parser must never see ---------------------


@pytest.fixture
def bank_admin(client, questionnaire):
    client.force_login(make_user("qadmin", roles=("admin",)))
    draft = loading.questionnaire_clone(questionnaire, version="2026.9")
    return SimpleNamespace(client=client, draft=draft)


def _deep_condition(depth: int) -> str:
    leaf = '{"question": "approval_chain", "in": ["unclear"]}'
    return '{"all": [' * depth + leaf + "]}" * depth


CONDITIONS = {
    "a list where the question key belongs": (
        '{"question": ["approval_chain"], "in": ["unclear"]}',
        "'question' must be a question key (text), not a list",
    ),
    "an object where the question key belongs": (
        '{"question": {"k": 1}, "in": ["unclear"]}',
        "'question' must be a question key (text), not an object",
    ),
    "a list where a choice key belongs": (
        '{"question": "approval_chain", "in": [["unclear"]]}',
        "must list choice keys (text) only",
    ),
    "a list instead of a condition": ('[{"question": "approval_chain"}]', "not a list"),
    "nested 12 deep": (_deep_condition(12), "nest at most 10 levels"),
    "nested 990 deep": (_deep_condition(990), "nests too deep"),
    "a 4,301-digit integer as a choice": (  # issue 23: a 500
        '{"question": "approval_chain", "in": [' + "9" * 4_301 + "]}",
        "a number too long to read (more than 4,300 digits)",
    ),
    "a 5,000-digit negative integer as the question": (
        '{"question": -' + "1" * 5_000 + ', "in": ["unclear"]}',
        "a number too long to read (more than 4,300 digits)",
    ),
}


@pytest.mark.parametrize("case", sorted(CONDITIONS))
def test_a_rule_condition_of_the_wrong_shape_gets_a_form_error(bank_admin, case):
    condition, reason = CONDITIONS[case]
    before = snapshot_bank()
    rules = list(Rule.objects.order_by("pk").values_list("condition", flat=True))
    response = bank_admin.client.post(
        reverse("admin:assessor_rule_add"),
        {
            "questionnaire": bank_admin.draft.pk,
            "key": "new-rule",
            "cap": "supervised",
            "reason": "x",
            "condition": condition,
            "order": 99,
        },
    )
    assert response.status_code == 200
    assert reason in html.unescape(response.content.decode())
    assert list(Rule.objects.order_by("pk").values_list("condition", flat=True)) == rules
    assert snapshot_bank() == before


@settings(WEB, max_examples=30)
@given(condition=json_values)
@example(condition="\ud800")  # found by this test: a 500 re-rendering the form
@example(condition={"question": "input_sources", "in": ["mixed\x00"]})
def test_random_json_as_a_show_if_condition_never_fails(bank_admin, condition):
    question = Question.objects.filter(questionnaire=bank_admin.draft, core=False).first()
    url = reverse("admin:assessor_question_change", args=[question.pk])
    with one_example(bank_admin.client):
        page = bank_admin.client.get(url)
        data = {
            key: value
            for key, value in page.context["adminform"].form.initial.items()
            if key != "frameworks"
        }
        data.update(
            {
                "show_if": json.dumps(condition),
                "choices-TOTAL_FORMS": "0",
                "choices-INITIAL_FORMS": "0",
            }
        )
        response = bank_admin.client.post(url, data)
        assert response.status_code in (200, 302)


LONG_INTEGERS = ["9" * 4_301, "-" + "1" * 5_000, '{"question": "x", "in": [' + "7" * 9_000 + "]}"]


@pytest.mark.parametrize("number", LONG_INTEGERS)
@pytest.mark.parametrize("field", ["show_if", "framework_notes"])
def test_an_integer_over_4300_digits_in_a_json_field_gets_a_form_error(bank_admin, field, number):
    if field == "show_if":
        row = Question.objects.filter(questionnaire=bank_admin.draft, core=False).first()
        url = reverse("admin:assessor_question_change", args=[row.pk])
        extra = {"choices-TOTAL_FORMS": "0", "choices-INITIAL_FORMS": "0"}
    else:
        url = reverse("admin:assessor_questionnaire_change", args=[bank_admin.draft.pk])
        extra = {}
    page = bank_admin.client.get(url)
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and key not in ("frameworks", "baseline_frameworks")
    }
    before = snapshot_bank()
    response = bank_admin.client.post(url, {**data, **extra, field: number})
    assert response.status_code == 200
    assert "more than 4,300 digits" in html.unescape(response.content.decode())
    assert number in html.unescape(response.content.decode())  # shown again as typed
    assert snapshot_bank() == before


@pytest.mark.parametrize("points", ["1e308", "-1e308", "1000.01", "99999.99"])
def test_an_out_of_range_weight_gets_a_form_error_in_the_list_and_the_form(bank_admin, points):
    row = ChoiceWeight.objects.filter(choice__question__questionnaire=bank_admin.draft).first()
    before = snapshot_bank()
    response = bank_admin.client.post(
        reverse("admin:assessor_choiceweight_change", args=[row.pk]),
        {"choice": row.choice_id, "dimension": row.dimension_id, "points": points},
    )
    assert response.status_code == 200
    assert "A weight is a number from -1,000 to 1,000." in response.content.decode()
    url = reverse("admin:assessor_choiceweight_changelist")
    query = f"?choice__question__questionnaire__id__exact={bank_admin.draft.pk}"
    formset = bank_admin.client.get(url + query).context["cl"].formset
    data = changelist_data(formset, "points")
    data["form-0-points"] = points
    response = bank_admin.client.post(url + query, data)
    assert response.status_code == 200
    assert "A weight is a number from -1,000 to 1,000." in response.content.decode()
    assert snapshot_bank() == before


def test_a_dimension_weight_out_of_range_gets_a_form_error(bank_admin):
    dimension = Dimension.objects.filter(questionnaire=bank_admin.draft).first()
    before = snapshot_bank()
    weights = list(Dimension.objects.order_by("pk").values_list("weight", flat=True))
    url = reverse("admin:assessor_dimension_change", args=[dimension.pk])
    page = bank_admin.client.get(url)
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.pop("frameworks", None)
    response = bank_admin.client.post(url, {**data, "weight": "1e308"})
    assert response.status_code == 200
    assert "A weight is a number from 0 to 100." in response.content.decode()
    assert list(Dimension.objects.order_by("pk").values_list("weight", flat=True)) == weights
    assert snapshot_bank() == before


# --- a wizard save after the bank of a pinned draft gained a core question ------------------------


def test_a_wizard_save_after_a_core_question_was_added_to_the_records_version(
    owner_client, owner, questionnaire
):
    draft = loading.questionnaire_clone(questionnaire, version="2026.9")
    record = make_assessment(owner, answers=SAFEST)
    Assessment.objects.filter(pk=record.pk).update(questionnaire=draft)
    section = Section.objects.filter(questionnaire=draft).order_by("order").first()
    question = Question.objects.create(
        questionnaire=draft, section=section, key="added_later", text="Added?", core=True
    )
    yes = Choice.objects.create(question=question, key="yes", label="Yes", order=0)
    Choice.objects.create(question=question, key="no", label="No", order=1)
    ChoiceWeight.objects.create(
        choice=yes, dimension=Dimension.objects.filter(questionnaire=draft).first(), points=1
    )
    loading.questionnaire_refresh(draft)
    record.refresh_from_db()
    core = len(draft.scoring_model().core_keys)
    assert record.total_core == core - 1  # counted when the record was created

    key = SECTIONS[0]["questions"][0]["key"]
    response = owner_client.post(
        reverse("wizard", args=[record.pk, 1]), {key: SAFEST[key], "version": record.version}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.answered_core, record.total_core) == (core - 1, core)
    assert record.verdict == ""  # one core question is open again


# --- characters XML forbids, at every place text enters (issue 23) --------------------------------

forbidden = st.sampled_from(sorted(XML_FORBIDDEN - {"\x00"}))  # NUL has tests of its own
FORBIDDEN_MESSAGE = "invisible control character (U+"


@st.composite
def with_forbidden(draw):
    """Text a person could paste: clean text with one character XML forbids inside it (at
    either end, the forms strip the ones that are white space, as they strip spaces)."""
    return f"{draw(clean_text)}x{draw(forbidden)}x{draw(clean_text)}"


@pytest.fixture
def entry(owner_client, owner, questionnaire, export):
    record = make_assessment(owner, answers=SAFEST, name="Entry point")
    return SimpleNamespace(client=owner_client, api=api_client(owner), record=record, e=export)


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _enter(entry, where: str, value: str):
    """Send `value` where people type text; (refused, what the person is told)."""
    record = entry.record
    key = SECTIONS[0]["questions"][0]["key"]
    step1 = reverse("wizard", args=[record.pk, 1])
    if where in ("name", "description", "system", "business_owner"):
        fields = {"name": "Leaver deprovisioning", where: value}
        response = entry.client.post(reverse("assessment_new"), fields)
        return response.status_code == 200, _page(response)
    if where in ("wizard note", "wizard link"):
        field = note_field(key) if where == "wizard note" else evidence_field(key)
        fields = {key: SAFEST[key], field: value, "version": record.version}
        response = entry.client.post(step1, fields, follow=True)
        return "nothing was saved" in _page(response), _page(response)
    if where == "comment":
        response = entry.client.post(
            reverse("submit", args=[record.pk]), {"comment": value}, follow=True
        )
        return record_status(record) == "draft", _page(response)
    if where in ("api name", "api note", "api comment"):
        if where == "api name":
            team = access.teams_for(record.owner).first().pk
            response = entry.api.post(
                "/api/v1/assessments/", {"name": value, "team": team}, format="json"
            )
        elif where == "api note":
            body = {"version": record.version, "answers": {key: {"choice": SAFEST[key]}}}
            body["answers"][key]["note"] = value
            response = entry.api.put(
                f"/api/v1/assessments/{record.pk}/answers/1/", body, format="json"
            )
        else:
            response = entry.api.post(
                f"/api/v1/assessments/{record.pk}/submit/", {"comment": value}, format="json"
            )
        return response.status_code == 400, json.dumps(response.json(), ensure_ascii=False)
    if where in ("import name", "import note"):
        data = json.loads(json.dumps(entry.e))
        if where == "import name":
            data["name"] = value
        else:
            data["notes"]["kill_switch"] = value
        upload = SimpleUploadedFile("export.json", json.dumps(data).encode())
        response = entry.client.post(reverse("import_upload"), {"file": upload})
        return response.status_code == 200, _page(response)
    assert where == "token name"
    response = entry.client.post(reverse("tokens"), {"name": value, "expires_days": 30})
    return response.status_code == 200 and "only now" not in _page(response), _page(response)


def record_status(record) -> str:
    return Assessment.objects.values_list("status", flat=True).get(pk=record.pk)


ENTRY_POINTS = [
    "name",
    "description",
    "system",
    "business_owner",
    "wizard note",
    "wizard link",
    "comment",
    "api name",
    "api note",
    "api comment",
    "import name",
    "import note",
    "token name",
]


@settings(WEB, max_examples=40)
@given(data=st.data())
@example(data=None)  # replaced below by the two reported characters at every entry point
def test_text_with_a_character_xml_forbids_is_refused_wherever_it_enters(entry, data):
    """Issue 23: a vertical tab in a record's name made the team's XLSX export a 500, and
    U+FFFE a file Excel calls corrupt. Refused where it enters, saying which character."""
    if data is None:
        cases = [(where, f"Leaver{c}deprov") for where in ENTRY_POINTS for c in "\x0b\ufffe"]
    else:
        cases = [(data.draw(st.sampled_from(ENTRY_POINTS)), data.draw(with_forbidden()))]
    for where, value in cases:
        with one_example(entry.client):
            before = snapshot()
            tokens_before = list(ApiToken.objects.values_list("pk", flat=True))
            refused, told = _enter(entry, where, value)
            assert refused, (where, value)
            assert FORBIDDEN_MESSAGE in told, (where, told[:300])
            assert snapshot() == before, where
            assert list(ApiToken.objects.values_list("pk", flat=True)) == tokens_before
