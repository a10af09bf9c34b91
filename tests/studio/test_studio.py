"""The questionnaire studio: versions, the per-item editor, the builder, changes and publishing."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from assessor import bank
from assessor.bank import loading
from assessor.documents import pdf
from assessor.models import ChoiceWeight, Question, Questionnaire, Rule, Team, Threshold
from assessor.oversight.models import ReviewCycle
from assessor.review import services as review
from assessor.studio import services as studio
from assessor.studio import version_diff, wording
from assessor.studio.impact import impact_preview
from tests.builders import LOWER_TRUST, SAFEST, make_assessment, make_user, module_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def qadmin(db):
    """A questionnaire admin who is also a reviewer of Team A (so reads its assessments)."""
    return make_user("qadmin", roles=("admin", "reviewer"))


@pytest.fixture
def web(client, qadmin):
    client.force_login(qadmin)
    return client


@pytest.fixture(scope="module")
def kept_draft(django_db_setup, django_db_blocker):
    """The draft most tests here change, started once for the module (~0.4 s a clone), each
    test rolling back to it; a test that does not ask for it finds none (see module_rows)."""

    def build():
        source = loading.questionnaire_load(document=bank.load_bank_file(), publish=True)
        return studio.draft_start(source=source.questionnaire).pk

    with module_rows(django_db_blocker, build) as rows:
        yield rows


@pytest.fixture(autouse=True)
def _draft_only_where_asked(request, kept_draft):
    if "draft_questionnaire" not in request.fixturenames:
        request.getfixturevalue("_question_bank")  # after the test's transaction has begun
        kept_draft.hide()


@pytest.fixture
def draft_questionnaire(questionnaire, kept_draft):
    return Questionnaire.objects.get(pk=kept_draft.value)


def url(name, *args):
    return reverse(name, args=args)


def points(q, question, choice, dimension):
    return ChoiceWeight.objects.get(
        choice__question__questionnaire=q,
        choice__question__key=question,
        choice__key=choice,
        dimension__key=dimension,
    ).points


def state(q):
    """What a refused save must leave as it was."""
    q = Questionnaire.objects.get(pk=q.pk)
    return q.content_hash, q.revision, q.version, q.status


def weight_data(q, question_key, revision, **overrides):
    """The weight table's POST data for a question, with its current points."""
    question = wording.questions_of(q.document)[question_key]
    data = {"revision": revision}
    for choice in question["choices"]:
        data[f"label__{choice['key']}"] = choice["label"]
        for dim in q.document["dimensions"]:
            value = choice["weights"].get(dim["key"])
            data[f"w__{choice['key']}__{dim['key']}"] = "" if value is None else value
    data.update(overrides)
    return data


def rule_data(revision, **overrides):
    data = {
        "revision": revision,
        "key": "kill-switch-missing",
        "cap": "copilot",
        "reason": "Nobody can stop the agent mid-run.",
        "combine": "all",
        "clauses": 1,
        "clause-0-question": "kill_switch",
        "clause-0-op": "in",
        "clause-0-choices": ["no"],
        "action": "save",
    }
    data.update(overrides)
    return data


# --- who may use it -------------------------------------------------------------------------


def studio_urls(q):
    v = q.version
    return [
        ("get", url("studio_versions")),
        ("post", url("studio_draft_new")),
        ("get", url("studio_version", v)),
        ("get", url("studio_changes", v)),
        ("get", url("studio_publish", v)),
        ("post", url("studio_thresholds", v)),
        ("post", url("studio_section", v, "scope")),
        ("post", url("studio_dimension", v, "policy")),
        ("post", url("studio_question", v, "kill_switch")),
        ("get", url("studio_weights", v, "kill_switch")),
        ("post", url("studio_weights_preview", v, "kill_switch")),
        ("get", url("studio_follow_up", v, "policy_evaluation")),
        ("get", url("studio_rule_new", v)),
        ("get", url("studio_rule", v, "approval-chain-unclear")),
        ("post", url("studio_rule_delete", v, "approval-chain-unclear")),
        ("get", url("studio_condition", v, "clear-trigger-and-completion")),
    ]


@pytest.mark.parametrize("roles", [("reviewer",), ("approver", "auditor"), ()])
def test_everyone_but_questionnaire_admins_gets_403_on_every_studio_url(
    client, draft_questionnaire, roles
):
    client.force_login(make_user("someone", roles=roles))
    before = state(draft_questionnaire)
    for method, address in studio_urls(draft_questionnaire):
        response = getattr(client, method)(address)
        assert response.status_code == 403, address
    assert state(draft_questionnaire) == before
    assert Questionnaire.objects.count() == 2


def test_anonymous_visitors_are_sent_to_sign_in(client, draft_questionnaire):
    for method, address in studio_urls(draft_questionnaire):
        response = getattr(client, method)(address)
        assert response.status_code == 302, address
        assert response["Location"].startswith("/accounts/login/")


def test_the_studio_link_shows_only_for_questionnaire_admins(client, web, questionnaire, owner):
    assert url("studio_versions") in web.get("/").content.decode()
    client.force_login(owner)
    assert url("studio_versions") not in client.get("/").content.decode()


def test_a_role_that_exists_nowhere_gives_a_404_not_a_500(web, questionnaire):
    assert web.get(url("studio_version", "no-such-version")).status_code == 404
    assert (
        web.get(url("studio_weights", questionnaire.version, "no_such_question")).status_code == 404
    )
    assert web.get(url("studio_rule", questionnaire.version, "no-such-rule")).status_code == 404


# --- versions -------------------------------------------------------------------------------


def test_the_versions_page_lists_each_version_with_its_status(
    web, questionnaire, draft_questionnaire
):
    page = web.get(url("studio_versions")).content.decode()
    assert questionnaire.version in page and draft_questionnaire.version in page
    assert "Published" in page and "Draft" in page
    assert "Start a draft from the published version" in page


def test_starting_a_draft_copies_the_published_bank_under_a_draft_label(web, questionnaire):
    response = web.post(url("studio_draft_new"))
    draft = Questionnaire.objects.get(status=Questionnaire.Status.DRAFT)
    assert response.status_code == 302 and response["Location"] == url(
        "studio_version", draft.version
    )
    assert draft.version.endswith("-draft1")
    assert {**draft.document, "version": "x"} == {**questionnaire.document, "version": "x"}


# --- one version ---------------------------------------------------------------------------


def test_the_version_page_shows_the_whole_bank_in_words(web, draft_questionnaire):
    page = web.get(url("studio_version", draft_questionnaire.version)).content.decode()
    assert "Is the approval chain" in page or "approval chain" in page
    assert "When approval chain is “Unclear" in page  # a rule as a sentence
    assert "cap at Copilot" in page
    assert "Follow-up: asked only when" in page
    assert "Thresholds" in page and "weight" in page
    assert "Edit question" in page  # editable: a draft


def test_the_bank_page_has_an_index_with_counts_and_jump_links(web, questionnaire):
    page = web.get(url("studio_version", questionnaire.version)).content.decode()
    index = page[page.index('id="bank-index"') : page.index('id="thresholds"')]
    questions = wording.questions_of(questionnaire.document)
    counted = '<a href="#questions">Sections and questions</a> <span class="text-body-secondary">'
    assert f"{counted}({len(questions)})" in index
    for section in questionnaire.document["sections"]:
        assert f'href="#section-{section["key"]}"' in index  # each target exists below
        assert f'id="section-{section["key"]}"' in page
    rules = len(questionnaire.document["rules"])
    assert f'<a href="#rules">Rules</a> <span class="text-body-secondary">({rules})' in index
    assert '<label for="bank-search"' in index  # the search box is labelled


def test_searching_by_key_shows_only_the_matching_question_and_its_rules(web, questionnaire):
    response = web.get(url("studio_version", questionnaire.version), {"q": "kill_switch"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="question-kill_switch"' in page
    assert 'id="question-monitoring"' not in page
    assert 'id="rule-no-kill-switch"' in page  # a rule whose sentence names it
    assert 'id="rule-approval-chain-unclear"' not in page
    assert 'id="thresholds"' not in page
    assert re.search(
        r"<strong>\d+ matches</strong> for “<span class=\"user-text\">kill_switch", page
    )


def test_searching_a_choice_keeps_only_the_matching_choices(web, questionnaire):
    page = web.get(
        url("studio_version", questionnaire.version), {"q": "business-hours team"}
    ).content.decode()
    assert 'id="choice-kill_switch-tested_not_on_call"' in page
    assert 'id="choice-kill_switch-yes"' not in page
    assert "3 other choices of this question do not match" in page
    assert "1 choice, 1 rule." in page  # the summary says what matched, by kind


def test_a_search_that_finds_nothing_says_so_and_offers_the_whole_bank(web, questionnaire):
    page = web.get(url("studio_version", questionnaire.version), {"q": "zebra"}).content.decode()
    assert "<strong>No matches</strong> for" in page
    assert "Show the whole bank" in page
    assert 'id="questions"' not in page


@pytest.mark.parametrize("query", ["%00", "kill%00switch", "%ED%A0%80", "%20" * 3, "x" * 5000])
def test_odd_search_text_never_breaks_the_page(web, questionnaire, query):
    response = web.get(url("studio_version", questionnaire.version) + "?q=" + query)
    assert response.status_code == 200


def test_a_published_version_is_read_only_and_says_so(web, questionnaire):
    page = web.get(url("studio_version", questionnaire.version)).content.decode()
    assert "it is read only" in page
    assert "Save question" not in page
    before = state(questionnaire)
    response = web.post(
        url("studio_question", questionnaire.version, "kill_switch"),
        {"question-kill_switch-revision": 1, "question-kill_switch-text": "Changed?"},
    )
    assert response.status_code == 409
    assert state(questionnaire) == before


def test_a_question_saves_its_text_and_the_document_follows(web, draft_questionnaire):
    prefix = "question-kill_switch"
    response = web.post(
        url("studio_question", draft_questionnaire.version, "kill_switch"),
        {
            f"{prefix}-revision": draft_questionnaire.revision,
            f"{prefix}-text": "Can a person stop the agent at once?",
            f"{prefix}-help_text": "A tested stop button.",
            f"{prefix}-control": "kill switch",
        },
    )
    assert response.status_code == 302
    draft_questionnaire.refresh_from_db()
    assert draft_questionnaire.revision == 2
    question = wording.questions_of(draft_questionnaire.document)["kill_switch"]
    assert question["text"] == "Can a person stop the agent at once?"


@pytest.mark.parametrize(
    "label, message",
    [("  ", "This field is required"), ("yes", "only repeats the key")],
)
def test_a_choice_label_empty_or_only_its_key_is_refused_and_nothing_is_saved(
    web, draft_questionnaire, label, message
):
    before = state(draft_questionnaire)
    data = weight_data(
        draft_questionnaire, "kill_switch", draft_questionnaire.revision, label__yes=label
    )
    data["action"] = "save"
    response = web.post(url("studio_weights", draft_questionnaire.version, "kill_switch"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state(draft_questionnaire) == before


def test_a_choice_label_is_saved_from_the_table(web, draft_questionnaire):
    data = weight_data(
        draft_questionnaire,
        "kill_switch",
        draft_questionnaire.revision,
        label__no="No stop control at all",
    )
    data["action"] = "save"
    assert (
        web.post(
            url("studio_weights", draft_questionnaire.version, "kill_switch"), data
        ).status_code
        == 302
    )
    draft_questionnaire.refresh_from_db()
    labels = [
        c["label"]
        for c in wording.questions_of(draft_questionnaire.document)["kill_switch"]["choices"]
    ]
    assert "No stop control at all" in labels


@pytest.mark.parametrize(
    "supervised, owner, message",
    [
        ("80", "60", "thresholds go in order"),
        ("-5", "60", "greater than or equal to 0"),
        ("ten", "60", "Enter a number"),
    ],
)
def test_bad_thresholds_are_refused_and_nothing_is_saved(
    web, draft_questionnaire, supervised, owner, message
):
    before = state(draft_questionnaire)
    response = web.post(
        url("studio_thresholds", draft_questionnaire.version),
        {
            "thresholds-revision": draft_questionnaire.revision,
            "thresholds-supervised": supervised,
            "thresholds-owner": owner,
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state(draft_questionnaire) == before


def test_thresholds_in_order_are_saved(web, draft_questionnaire):
    response = web.post(
        url("studio_thresholds", draft_questionnaire.version),
        {
            "thresholds-revision": draft_questionnaire.revision,
            "thresholds-supervised": "40",
            "thresholds-owner": "75",
        },
    )
    assert response.status_code == 302
    assert Threshold.objects.get(questionnaire=draft_questionnaire, verdict="owner").min_score == 75


def test_a_dimension_weight_out_of_range_is_refused(web, draft_questionnaire):
    before = state(draft_questionnaire)
    response = web.post(
        url("studio_dimension", draft_questionnaire.version, "policy"),
        {
            "dimension-policy-revision": draft_questionnaire.revision,
            "dimension-policy-label": "Policy",
            "dimension-policy-weight": "1000",
        },
    )
    assert response.status_code == 400
    assert "less than or equal to" in response.content.decode()
    assert state(draft_questionnaire) == before


def test_a_form_without_the_drafts_revision_is_refused_with_a_reason(web, draft_questionnaire):
    before = state(draft_questionnaire)
    response = web.post(
        url("studio_question", draft_questionnaire.version, "kill_switch"),
        {"question-kill_switch-text": "Changed?"},
    )
    assert response.status_code == 400
    assert "reload the page" in response.content.decode()
    assert state(draft_questionnaire) == before


def test_a_stale_edit_is_refused_with_what_changed(web, client, draft_questionnaire):
    opened_at = draft_questionnaire.revision
    other = make_user("other", roles=("admin",))
    client.force_login(other)
    # Someone else saves first (through the service, as their request would).
    row = Question.objects.get(questionnaire=draft_questionnaire, key="kill_switch")
    studio.draft_edit(
        draft=draft_questionnaire, revision=opened_at, change=studio.fields_set(row, text="Theirs?")
    )
    before = state(draft_questionnaire)
    prefix = "question-monitoring"
    response = web.post(
        url("studio_question", draft_questionnaire.version, "monitoring"),
        {f"{prefix}-revision": opened_at, f"{prefix}-text": "Mine?"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "since you opened the page" in page
    assert "kill_switch" in page  # what they changed
    assert state(draft_questionnaire) == before


def test_a_stale_edit_names_who_saved_when_and_what_and_keeps_my_input(web, draft_questionnaire):
    opened_at = draft_questionnaire.revision
    theirs = Client()
    theirs.force_login(make_user("other", roles=("admin",)))
    saved = theirs.post(
        url("studio_question", draft_questionnaire.version, "kill_switch"),
        {"question-kill_switch-revision": opened_at, "question-kill_switch-text": "Theirs?"},
    )
    assert saved.status_code == 302
    before = state(draft_questionnaire)
    prefix = "question-monitoring"
    response = web.post(
        url("studio_question", draft_questionnaire.version, "monitoring"),
        {f"{prefix}-revision": opened_at, f"{prefix}-text": "Mine, not saved yet?"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert re.search(r"by other at \d+ \w+ \d{4}, \d\d:\d\d UTC \(0\xa0minutes ago\)", page)
    # the row and its fields (their form left help and control empty)
    assert re.search(r"They changed: question kill_switch: [^.]*text now “Theirs\?”", page)
    assert "Your input is kept in this form" in page
    assert "Mine, not saved yet?</textarea>" in page  # nothing typed is lost
    assert state(draft_questionnaire) == before


# --- weights table ---------------------------------------------------------------------------


def test_the_weight_table_saves_points_for_the_whole_question(web, draft_questionnaire):
    data = weight_data(
        draft_questionnaire, "kill_switch", draft_questionnaire.revision, **{"w__no__policy": "1.5"}
    )
    data["action"] = "save"
    response = web.post(url("studio_weights", draft_questionnaire.version, "kill_switch"), data)
    assert response.status_code == 302
    assert float(points(draft_questionnaire, "kill_switch", "no", "policy")) == 1.5


@pytest.mark.parametrize(
    "value, message", [("abc", "Enter a number"), ("5000", "less than or equal")]
)
def test_bad_points_are_refused_beside_the_cell(web, draft_questionnaire, value, message):
    before = state(draft_questionnaire)
    data = weight_data(
        draft_questionnaire, "kill_switch", draft_questionnaire.revision, **{"w__no__policy": value}
    )
    data["action"] = "save"
    response = web.post(url("studio_weights", draft_questionnaire.version, "kill_switch"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'id="id_w__no__policy-error"' in page
    assert state(draft_questionnaire) == before


def test_the_preview_shows_how_the_examples_move_without_saving(web, draft_questionnaire):
    before = state(draft_questionnaire)
    data = weight_data(
        draft_questionnaire,
        "monitoring",
        draft_questionnaire.revision,
        **{"w__periodic_review__evidence": "0"},
    )
    response = web.post(
        url("studio_weights_preview", draft_questionnaire.version, "monitoring"), data
    )
    assert response.status_code == 200
    rows = response.json()["examples"]
    assert [r["name"] for r in rows][0] == "Non-production secret rotation"
    rotation = rows[0]  # answers periodic review: its score falls
    assert rotation["score_after"] < rotation["score_before"]
    assert state(draft_questionnaire) == before
    # And without JavaScript: the preview button on the table.
    data["action"] = "preview"
    page = web.post(
        url("studio_weights", draft_questionnaire.version, "monitoring"), data
    ).content.decode()
    assert "Non-production secret rotation" in page
    assert state(draft_questionnaire) == before


def test_the_preview_endpoint_names_bad_cells(web, draft_questionnaire):
    data = weight_data(
        draft_questionnaire,
        "monitoring",
        draft_questionnaire.revision,
        **{"w__none__evidence": "x"},
    )
    response = web.post(
        url("studio_weights_preview", draft_questionnaire.version, "monitoring"), data
    )
    assert response.status_code == 400
    assert "w__none__evidence" in response.json()["errors"]


# --- the rule builder -------------------------------------------------------------------------


def test_a_rule_built_without_json_is_saved_and_reads_as_a_sentence(web, draft_questionnaire):
    response = web.post(
        url("studio_rule_new", draft_questionnaire.version), rule_data(draft_questionnaire.revision)
    )
    assert response.status_code == 302
    rule = Rule.objects.get(questionnaire=draft_questionnaire, key="kill-switch-missing")
    assert rule.condition == {"question": "kill_switch", "in": ["no"]}
    page = web.get(url("studio_version", draft_questionnaire.version)).content.decode()
    assert "When kill switch is “" in page and "cap at Copilot" in page


def test_the_builder_groups_conditions_with_any_and_cites_references(web, draft_questionnaire):
    data = rule_data(
        draft_questionnaire.revision,
        combine="any",
        clauses=2,
        **{
            "clause-1-question": "monitoring",
            "clause-1-op": "in",
            "clause-1-choices": ["none"],
            "frameworks": [],
        },
    )
    from assessor.models import FrameworkReference

    ref = FrameworkReference.objects.get(ref="sp800_53:AC-5")
    data["frameworks"] = [ref.pk]
    assert web.post(url("studio_rule_new", draft_questionnaire.version), data).status_code == 302
    rule = Rule.objects.get(questionnaire=draft_questionnaire, key="kill-switch-missing")
    assert rule.condition == {
        "any": [
            {"question": "kill_switch", "in": ["no"]},
            {"question": "monitoring", "in": ["none"]},
        ]
    }
    assert [f.ref for f in rule.frameworks.all()] == ["sp800_53:AC-5"]


def test_showing_a_questions_choices_saves_nothing(web, draft_questionnaire):
    before = state(draft_questionnaire)
    data = rule_data(draft_questionnaire.revision, action="refresh", **{"clause-0-choices": []})
    response = web.post(url("studio_rule_new", draft_questionnaire.version), data)
    assert response.status_code == 200
    assert 'name="clause-0-choices" value="no"' in response.content.decode()
    assert state(draft_questionnaire) == before


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"clause-0-question": "no_such_question"}, "Select a valid choice"),
        ({"clause-0-choices": ["maybe"]}, "Select a valid choice"),
        ({"clause-0-choices": []}, "Pick at least one choice"),
        ({"key": "approval-chain-unclear"}, "already has a rule"),
        ({"cap": "owner"}, "Select a valid choice"),
        ({"kind": "floor", "cap": "copilot"}, "A floor at Copilot lifts nothing"),
        ({"kind": "ceiling"}, "Select a valid choice"),
        ({"reason": ""}, "This field is required"),
    ],
)
def test_a_bad_rule_is_refused_beside_the_field(web, draft_questionnaire, overrides, message):
    before = state(draft_questionnaire)
    response = web.post(
        url("studio_rule_new", draft_questionnaire.version),
        rule_data(draft_questionnaire.revision, **overrides),
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state(draft_questionnaire) == before
    assert not Rule.objects.filter(
        questionnaire=draft_questionnaire, key="kill-switch-missing"
    ).exists()


# A weightless follow-up of 2026.3 (a refinement that lifts): it may be made optional.
OPTIONAL_CANDIDATE = "grant_capability"


def floor_data(revision, **overrides):
    floor = {
        "key": "documented-chain-floor",
        "kind": "floor",
        "cap": "supervised",
        "reason": "A documented approval chain that a named person follows.",
        "clause-0-question": "approval_chain",
        "clause-0-choices": ["documented_manual"],
    }
    return rule_data(revision, **{**floor, **overrides})


def test_a_floor_is_built_without_json_and_reads_as_a_sentence(web, draft_questionnaire):
    response = web.post(
        url("studio_rule_new", draft_questionnaire.version),
        floor_data(draft_questionnaire.revision),
    )
    assert response.status_code == 302
    rule = Rule.objects.get(questionnaire=draft_questionnaire, key="documented-chain-floor")
    assert (rule.kind, rule.cap) == ("floor", "supervised")
    draft_questionnaire.refresh_from_db()
    compiled = next(r for r in draft_questionnaire.document["rules"] if r["id"] == rule.key)
    assert compiled["floor"] == "supervised" and "cap" not in compiled
    sentence = "Lifts the verdict to at least Supervised when approval chain is “"
    assert sentence in web.get(url("studio_version", draft_questionnaire.version)).content.decode()
    page = web.get(url("studio_rule", draft_questionnaire.version, rule.key)).content.decode()
    assert sentence in page
    assert re.search(r'<input[^>]*(value="floor"[^>]*checked|checked[^>]*value="floor")', page)


def test_a_floor_turns_back_into_a_cap(web, draft_questionnaire):
    web.post(
        url("studio_rule_new", draft_questionnaire.version),
        floor_data(draft_questionnaire.revision),
    )
    draft_questionnaire.refresh_from_db()
    response = web.post(
        url("studio_rule", draft_questionnaire.version, "documented-chain-floor"),
        floor_data(draft_questionnaire.revision, kind="cap"),
    )
    assert response.status_code == 302
    assert (
        Rule.objects.get(questionnaire=draft_questionnaire, key="documented-chain-floor").kind
        == "cap"
    )


def test_rule_sentences_read_caps_and_floors():
    document = {"sections": [{"questions": []}]}
    when = {"question": "approval_chain", "in": ["codified"]}
    cap = {"id": "c", "cap": "copilot", "when": when}
    floor = {"id": "f", "floor": "supervised", "when": when}
    assert wording.rule_sentence(cap, document) == (
        "When approval_chain is ['codified'], cap at Copilot."
    )
    assert wording.rule_sentence(floor, document) == (
        "Lifts the verdict to at least Supervised when approval_chain is ['codified']."
    )


def test_the_changes_page_shows_a_cap_turned_floor_and_an_optional_question():
    published = {
        "thresholds": {},
        "dimensions": [],
        "sections": [
            {
                "questions": [
                    {
                        "key": "q",
                        "text": "Q?",
                        "help": "",
                        "control": "",
                        "show_if": None,
                        "choices": [],
                    }
                ]
            }
        ],
        "rules": [{"id": "r", "cap": "supervised", "reason": "x", "when": None, "frameworks": []}],
        "ownership_conditions": [],
    }
    draft = {
        **published,
        "sections": [
            {"questions": [{**published["sections"][0]["questions"][0], "optional": True}]}
        ],
        "rules": [{**published["rules"][0], "floor": "supervised"}],
    }
    del draft["rules"][0]["cap"]
    found = {
        (d.area, d.item, d.field): (d.before, d.after)
        for d in version_diff.differences(published, draft)
    }
    assert found[("Questions", "q", "optional")] == ("no", "yes")
    assert found[("Rules", "r", "effect")] == (
        "cap at Supervised",
        "lifts the verdict to at least Supervised",
    )


def test_a_question_is_marked_optional_and_the_changes_page_says_so(web, draft_questionnaire):
    key = OPTIONAL_CANDIDATE
    question = wording.questions_of(draft_questionnaire.document)[key]
    prefix = f"question-{key}"
    response = web.post(
        url("studio_question", draft_questionnaire.version, key),
        {
            f"{prefix}-revision": draft_questionnaire.revision,
            f"{prefix}-text": question["text"],
            f"{prefix}-help_text": question["help"],
            f"{prefix}-control": question["control"],
            f"{prefix}-optional": "on",
        },
    )
    assert response.status_code == 302
    draft_questionnaire.refresh_from_db()
    assert wording.questions_of(draft_questionnaire.document)[key]["optional"] is True
    assert Question.objects.get(questionnaire=draft_questionnaire, key=key).optional
    assert (
        ", optional)"
        in web.get(url("studio_version", draft_questionnaire.version)).content.decode()
    )
    changes = web.get(url("studio_changes", draft_questionnaire.version)).content.decode()
    assert "optional" in changes and "1 difference" in changes


def test_a_core_question_cannot_be_made_optional(web, draft_questionnaire):
    before = state(draft_questionnaire)
    question = wording.questions_of(draft_questionnaire.document)["kill_switch"]
    prefix = "question-kill_switch"
    response = web.post(
        url("studio_question", draft_questionnaire.version, "kill_switch"),
        {
            f"{prefix}-revision": draft_questionnaire.revision,
            f"{prefix}-text": question["text"],
            f"{prefix}-help_text": question["help"],
            f"{prefix}-control": question["control"],
            f"{prefix}-optional": "on",
        },
    )
    assert response.status_code == 400
    assert state(draft_questionnaire) == before
    assert not Question.objects.get(questionnaire=draft_questionnaire, key="kill_switch").optional


def test_a_rule_is_deleted_from_a_draft(web, draft_questionnaire):
    response = web.post(
        url("studio_rule_delete", draft_questionnaire.version, "brittle-legacy-iam"),
        {"revision": draft_questionnaire.revision},
    )
    assert response.status_code == 302
    assert not Rule.objects.filter(
        questionnaire=draft_questionnaire, key="brittle-legacy-iam"
    ).exists()


# --- follow-ups and conditions ----------------------------------------------------------------


def follow_up_question(draft_questionnaire):
    return next(
        q for q in wording.questions_of(draft_questionnaire.document).values() if q["show_if"]
    )


def test_a_follow_up_whose_condition_can_never_hold_is_refused(web, draft_questionnaire):
    question = follow_up_question(draft_questionnaire)
    before = state(draft_questionnaire)
    data = {
        "revision": draft_questionnaire.revision,
        "combine": "all",
        "clauses": 2,
        "clause-0-question": "input_sources",
        "clause-0-op": "in",
        "clause-0-choices": ["mixed"],
        "clause-1-question": "input_sources",
        "clause-1-op": "in",
        "clause-1-choices": ["internal_systems"],
        "action": "save",
    }
    assert question["key"] == "input_isolation"  # asked after input_sources
    response = web.post(url("studio_follow_up", draft_questionnaire.version, question["key"]), data)
    assert response.status_code == 400
    assert "can never hold" in response.content.decode()
    assert state(draft_questionnaire) == before


def test_a_condition_for_ownership_is_edited_through_the_builder(web, draft_questionnaire):
    data = {
        "revision": draft_questionnaire.revision,
        "title": "Evidence capture",
        "reason": "Without a full record nothing can be proved.",
        "combine": "all",
        "clauses": 1,
        "clause-0-question": "evidence_capture",
        "clause-0-op": "in",
        "clause-0-choices": ["end_to_end", "partial"],
        "action": "save",
    }
    key = draft_questionnaire.document["ownership_conditions"][-1]["id"]
    response = web.post(url("studio_condition", draft_questionnaire.version, key), data)
    assert response.status_code == 302
    draft_questionnaire.refresh_from_db()
    condition = draft_questionnaire.document["ownership_conditions"][-1]
    assert condition["when"] == {"question": "evidence_capture", "in": ["end_to_end", "partial"]}


# --- changes and publishing -------------------------------------------------------------------


def test_the_changes_page_shows_each_difference_side_by_side(web, draft_questionnaire):
    row = Question.objects.get(questionnaire=draft_questionnaire, key="kill_switch")
    studio.draft_edit(
        draft=draft_questionnaire, revision=1, change=studio.fields_set(row, text="Stop button?")
    )
    studio.draft_edit(
        draft=draft_questionnaire,
        revision=2,
        change=studio.thresholds_set(draft_questionnaire, {"owner": 91}),
    )
    page = web.get(url("studio_changes", draft_questionnaire.version)).content.decode()
    assert "Stop button?" in page
    assert "2 differences" in page
    assert "starts at score" in page


@pytest.mark.parametrize(
    "name, message",
    [
        ("2026.3", "already exists"),
        ("2026.4-draft", "a draft"),
        ("2026.4-draft2", "a draft"),
        ("my version", "letters, digits"),
        ("", "This field is required"),
    ],
)
def test_publishing_refuses_a_name_that_is_not_a_real_new_one(
    web, draft_questionnaire, name, message
):
    before = state(draft_questionnaire)
    response = web.post(
        url("studio_publish", draft_questionnaire.version), {"name": name, "note": "Better."}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state(draft_questionnaire) == before


def test_publishing_needs_a_release_note(web, draft_questionnaire):
    before = state(draft_questionnaire)
    response = web.post(
        url("studio_publish", draft_questionnaire.version), {"name": "2026.4", "note": " "}
    )
    assert response.status_code == 400
    assert state(draft_questionnaire) == before


def test_the_publish_page_shows_the_verdicts_that_would_change(web, qadmin, draft_questionnaire):
    assessment = make_assessment(qadmin, answers=SAFEST | {"kill_switch": "no"}, name="Rotation")
    studio.draft_edit(
        draft=draft_questionnaire,
        revision=1,
        change=studio.rule_set(
            draft_questionnaire,
            None,
            {
                "key": "kill-switch-missing",
                "cap": "copilot",
                "reason": "No stop.",
                "condition": {"question": "kill_switch", "in": ["no"]},
                "frameworks": [],
            },
        ),
    )
    page = web.get(url("studio_publish", draft_questionnaire.version)).content.decode()
    assert assessment.name in page
    assert "would get a different verdict" in page
    assert "kill-switch-missing" in page


@pytest.fixture
def bank_only_admin(client, questionnaire):
    """A questionnaire admin who reads no team's records."""
    user = make_user("bankonly", roles=("admin",))
    client.force_login(user)
    return client


def _cap_kill_switch(draft_questionnaire):
    studio.draft_edit(
        draft=draft_questionnaire,
        revision=draft_questionnaire.revision,
        change=studio.rule_set(
            draft_questionnaire,
            None,
            {
                "key": "kill-switch-missing",
                "cap": "copilot",
                "reason": "No stop.",
                "condition": {"question": "kill_switch", "in": ["no"]},
                "frameworks": [],
            },
        ),
    )


def test_an_admin_who_reads_no_records_sees_every_change_counted_and_none_named(
    bank_only_admin, draft_questionnaire, owner, outsider
):
    make_assessment(owner, answers=SAFEST | {"kill_switch": "no"}, name="A rotation")
    make_assessment(outsider, answers=SAFEST | {"kill_switch": "no"}, name="B rotation")
    make_assessment(outsider, answers=SAFEST, name="B unmoved")
    _cap_kill_switch(draft_questionnaire)
    response = bank_only_admin.get(url("studio_publish", draft_questionnaire.version))
    page = response.content.decode()
    impact = response.context["impact"]
    assert (impact.total, impact.changed, impact.changes) == (3, 2, [])
    assert impact.after["copilot"] == impact.before["copilot"] + 2
    summary = page[page.index('id="impact-summary"') :]
    assert "<strong>2</strong> would get a different verdict" in summary
    assert "3 of them belong to teams whose records you cannot read" in summary
    for name in ("A rotation", "B rotation", "B unmoved"):
        assert name not in page


def test_the_publish_page_names_only_the_records_the_admin_reads(
    web, draft_questionnaire, qadmin, outsider
):
    make_assessment(qadmin, answers=SAFEST | {"kill_switch": "no"}, name="A rotation")
    make_assessment(outsider, answers=SAFEST | {"kill_switch": "no"}, name="B rotation")
    _cap_kill_switch(draft_questionnaire)
    response = web.get(url("studio_publish", draft_questionnaire.version))
    page = response.content.decode()
    assert "A rotation" in page and "B rotation" not in page
    assert response.context["impact"].changed == 2
    assert response.context["impact"].unreadable.changed == 1


# --- four eyes on publishing a version that changes verdicts ------------------------------


@pytest.fixture
def second_admin(db):
    return make_user("qadmin2", roles=("admin",))


@pytest.fixture
def verdict_changing(draft_questionnaire, qadmin):
    """A draft whose new cap moves a record of Team A from its verdict."""
    make_assessment(qadmin, answers=SAFEST | {"kill_switch": "no"}, name="Rotation")
    _cap_kill_switch(draft_questionnaire)
    draft_questionnaire.refresh_from_db()
    return draft_questionnaire


def publish_post(client, draft_questionnaire, **extra):
    data = {"name": "2026.4", "note": "Kill switch caps at copilot.", **extra}
    return client.post(url("studio_publish", draft_questionnaire.version), data)


def test_a_version_that_changes_verdicts_is_not_published_by_one_admin_alone(
    web, verdict_changing, second_admin, qadmin
):
    with pytest.raises(studio.ReviewRequired):
        studio.draft_publish(draft=verdict_changing, name="2026.4", note="n", user=qadmin)
    page = web.get(url("studio_publish", verdict_changing.version)).content.decode()
    assert 'id="four-eyes-note"' in page and "Request publication" in page
    response = publish_post(web, verdict_changing)
    assert response.status_code == 400
    assert "another questionnaire admin approves it" in response.content.decode()
    verdict_changing.refresh_from_db()
    assert verdict_changing.status == "draft"


def test_a_second_admin_approves_the_requested_publication(
    web, client, verdict_changing, second_admin, qadmin
):
    assert publish_post(web, verdict_changing, request="1").status_code == 302
    verdict_changing.refresh_from_db()
    assert (verdict_changing.status, verdict_changing.publish_requested_by) == ("draft", qadmin)
    assert verdict_changing.publish_request_name == "2026.4"
    # the requester cannot approve their own request, in the service and on the page
    with pytest.raises(ValueError, match="Four eyes"):
        studio.draft_publish_approve(draft=verdict_changing, user=qadmin)
    page = web.get(url("studio_publish", verdict_changing.version)).content.decode()
    assert 'id="publish-request"' in page and "Approve and publish" not in page
    response = web.post(url("studio_publish", verdict_changing.version), {"approve": "1"})
    assert response.status_code == 400
    verdict_changing.refresh_from_db()
    assert verdict_changing.status == "draft"
    # another questionnaire admin approves it
    client.force_login(second_admin)
    page = client.get(url("studio_publish", verdict_changing.version)).content.decode()
    assert "Approve and publish 2026.4" in page and "Kill switch caps at copilot." in page
    response = client.post(url("studio_publish", verdict_changing.version), {"approve": "1"})
    assert response.status_code == 302
    published = Questionnaire.objects.get(pk=verdict_changing.pk)
    assert (published.version, published.status) == ("2026.4", "published")
    assert (published.publish_requested_by, published.published_by) == (qadmin, second_admin)
    assert not published.published_without_review
    assert published.release_note == "Kill switch caps at copilot."
    versions = client.get(url("studio_versions")).content.decode()
    assert "requested by qadmin" in versions and "Published without review" not in versions


def test_editing_the_draft_withdraws_a_publication_request(verdict_changing, second_admin, qadmin):
    studio.draft_publish_request(draft=verdict_changing, name="2026.4", note="n", user=qadmin)
    verdict_changing.refresh_from_db()
    studio.draft_edit(
        draft=verdict_changing,
        revision=verdict_changing.revision,
        change=studio.thresholds_set(verdict_changing, {"owner": 91}),
    )
    verdict_changing.refresh_from_db()
    assert verdict_changing.publish_requested_by is None
    with pytest.raises(ValueError, match="Nobody has requested"):
        studio.draft_publish_approve(draft=verdict_changing, user=second_admin)


def test_the_only_admin_publishes_alone_and_the_version_says_so(web, verdict_changing, qadmin):
    page = web.get(url("studio_publish", verdict_changing.version)).content.decode()
    assert 'id="alone-note"' in page
    assert publish_post(web, verdict_changing).status_code == 302
    published = Questionnaire.objects.get(pk=verdict_changing.pk)
    assert (published.status, published.published_by) == ("published", qadmin)
    assert published.published_without_review
    assert "Published without review" in web.get(url("studio_versions")).content.decode()
    record = make_assessment(qadmin, answers=SAFEST, name="On 2026.4")
    assert record.questionnaire_id == published.pk
    report = web.get(url("report", record.pk)).content.decode()
    assert "published without review" in report


def test_publishing_previews_the_impact_once_and_still_asks_for_re_reviews(
    draft_questionnaire, qadmin, owner, approver, stub_pdf, monkeypatch
):
    record = make_assessment(owner, answers=SAFEST | {"kill_switch": "no"}, name="Rotation")
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)
    _cap_kill_switch(draft_questionnaire)
    draft_questionnaire.refresh_from_db()
    previews = []

    def counted(draft, *, readable):
        previews.append(draft.pk)
        return impact_preview(draft, readable=readable)

    # both the four-eyes check and the re-review requests read it through this module
    monkeypatch.setattr("assessor.studio.impact.impact_preview", counted)
    studio.draft_publish(draft=draft_questionnaire, name="2026.4", note="n", user=qadmin)
    assert previews == [draft_questionnaire.pk]
    reason = ReviewCycle.objects.get(assessment=record).rereview_reason
    assert reason.startswith("Questionnaire version 2026.4 would change its verdict from ")
    assert reason.endswith(" to Copilot.")


def test_a_version_that_changes_no_verdict_publishes_as_today(
    web, draft_questionnaire, second_admin, qadmin
):
    make_assessment(qadmin, answers=SAFEST, name="Unmoved")
    assert publish_post(web, draft_questionnaire).status_code == 302
    published = Questionnaire.objects.get(pk=draft_questionnaire.pk)
    assert (published.status, published.published_by) == ("published", qadmin)
    assert not published.published_without_review and published.publish_requested_by is None


def test_publishing_names_the_version_and_keeps_the_note_everywhere(
    web, qadmin, questionnaire, draft_questionnaire
):
    response = web.post(
        url("studio_publish", draft_questionnaire.version),
        {"name": "2026.4", "note": "Kill switch counts for more."},
    )
    assert response.status_code == 302
    draft_questionnaire.refresh_from_db()
    questionnaire.refresh_from_db()
    assert (
        draft_questionnaire.version,
        draft_questionnaire.status,
        draft_questionnaire.published_by,
    ) == ("2026.4", "published", qadmin)
    assert draft_questionnaire.document["version"] == "2026.4"
    assert questionnaire.status == "retired"
    assert "Kill switch counts for more." in web.get(url("studio_versions")).content.decode()
    out = io.StringIO()
    call_command("export_questionnaire", stdout=out)
    exported = yaml.safe_load(out.getvalue())
    assert exported["release_note"] == "Kill switch counts for more."
    assert exported["version"] == "2026.4"
    # A new assessment uses it, and its report (web and PDF) carries the note.
    assessment = make_assessment(qadmin, answers=SAFEST)
    assert assessment.questionnaire_id == draft_questionnaire.pk
    report = web.get(url("report", assessment.pk)).content.decode()
    assert "Kill switch counts for more." in report
    assessment.refresh_from_db()
    printed = pdf.render_html(pdf.pdf_context(assessment, generated_by=qadmin))
    assert "Kill switch counts for more." in printed


def test_a_published_version_cannot_be_published_again(web, questionnaire):
    response = web.post(url("studio_publish", questionnaire.version), {"name": "x1", "note": "n"})
    assert response.status_code == 409
    assert Questionnaire.objects.get(pk=questionnaire.pk).version == questionnaire.version


@pytest.mark.parametrize(
    "name, args, expected",
    [
        ("studio_rule_new", (), "Rule id"),
        ("studio_rule", ("high-blast-radius",), "When (privilege scope is “"),
        ("studio_follow_up", ("input_isolation",), "Now: only when input sources is"),
        ("studio_condition", ("evidence-capture",), "Met when evidence capture is"),
        ("studio_weights", ("monitoring",), "Periodic review of logs"),
        ("studio_changes", (), "Nothing differs from the published version"),
        ("studio_publish", (), "Publish this version"),
    ],
)
def test_each_studio_page_opens_on_a_draft(web, draft_questionnaire, name, args, expected):
    response = web.get(url(name, draft_questionnaire.version, *args))
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_publishing_2026_3_over_2026_2_lists_a_record_the_ephemeral_condition_moves(web, qadmin):
    """A one-run token that lapses at its time-to-live: 2026.2 held the record at supervised
    (the ephemeral-credentials condition demanded revocation at task end); 2026.3 accepts it."""
    loading.questionnaire_load(
        document=bank.load_bank_file(bank.BANK_DIR / "2026.2.yaml"), publish=True
    )
    record = make_assessment(
        qadmin, answers=SAFEST | {"revocation": "expires_at_ttl"}, name="CI token rotation"
    )
    assert record.verdict == "supervised"
    unmoved = make_assessment(qadmin, answers=SAFEST, name="Still owner")
    draft = loading.questionnaire_load(document=bank.load_bank_file(), publish=False).questionnaire
    assert draft.version == "2026.3" and draft.status == "draft"

    impact = impact_preview(draft, readable=Team.objects.all())
    (change,) = [c for c in impact.changes if c.assessment_id == record.pk]
    assert (change.before, change.after) == ("supervised", "owner")
    assert "condition-ephemeral-credentials" in {r.id for r in change.rules_removed}
    questions = wording.questions_of(draft.document)
    assert questions["revocation"]["text"] in {text for text, _ in change.answers}
    assert unmoved.pk not in {c.assessment_id for c in impact.changes}

    page = web.get(url("studio_publish", draft.version)).content.decode()
    assert "CI token rotation" in page and "would get a different verdict" in page
    assert "No longer capped by condition-ephemeral-credentials." in page


def test_the_impact_preview_names_a_floor_that_now_lifts_a_verdict(web, qadmin):
    loading.questionnaire_load(
        document=bank.load_bank_file(bank.BANK_DIR / "2026.2.yaml"), publish=True
    )
    answers = {**LOWER_TRUST, "approval_chain": "codified", "informal_overrides": "none"}
    record = make_assessment(qadmin, answers=answers, name="Enforced chain")
    draft = loading.questionnaire_load(document=bank.load_bank_file(), publish=False).questionnaire
    impact = impact_preview(draft, readable=Team.objects.all())
    (change,) = [c for c in impact.changes if c.assessment_id == record.pk]
    assert (change.before, change.after) == ("copilot", "supervised")
    assert [f.id for f in change.floors_added] == ["approval-chain-enforced"]
    questions = wording.questions_of(draft.document)
    assert questions["approval_chain"]["text"] in {text for text, _ in change.answers}
    page = web.get(url("studio_publish", draft.version)).content.decode()
    assert "Now lifted to at least Supervised by approval-chain-enforced." in page


def test_the_studio_tabs_mark_the_page_you_are_on(web, questionnaire):
    for name, label in (("studio_version", "The bank"), ("studio_changes", "Changes from")):
        page = web.get(url(name, questionnaire.version)).content.decode()
        current = page[page.index('aria-current="page"') - 300 : page.index('aria-current="page"')]
        assert "nav-link active" in current
        after = page[page.index('aria-current="page"') : page.index('aria-current="page"') + 60]
        assert f">{label}" in after
        assert page.count('aria-current="page"') == 1
