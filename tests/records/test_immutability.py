"""Published and retired questionnaires never change, whichever way a write arrives."""

import copy
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessor import bank, engine
from assessor.bank import loading
from assessor.models import (
    Assessment,
    Choice,
    ChoiceWeight,
    Dimension,
    FrameworkReference,
    OwnershipCondition,
    Question,
    Questionnaire,
    Rule,
    Section,
)
from assessor.records import selectors
from assessor.records.guard import AlreadyPublished, ImmutableQuestionnaire, MixedVersions
from tests.builders import SAFEST, changelist_data, make_assessment, make_user, module_rows

pytestmark = pytest.mark.django_db


def state(questionnaire: Questionnaire, pinned: Assessment) -> dict:
    """What a pinned record depends on: the version's rows, document, hash, and its verdict."""
    row = Questionnaire.objects.get(pk=questionnaire.pk)
    record = Assessment.objects.get(pk=pinned.pk)
    model = bank.build_model(row.document)  # not the per-hash cache: what is stored now
    choices = selectors.answers_known(model, selectors.choices_of(selectors.answers_of(record)))
    result = engine.evaluate(model, choices)
    return {
        "status": row.status,
        "hash": row.content_hash,
        "document": row.document,
        "hash matches document": bank.document_hash(row.document) == row.content_hash,
        "rows": loading.bank_from_rows(row),
        "stored verdict": (record.verdict, record.score),
        "verdict": (result.verdict, result.score),
    }


@pytest.fixture(params=["published", "retired"])
def frozen(request, questionnaire, owner, kept_versions):
    """A version out of draft, with a draft assessment pinned to it."""
    if request.param != "retired":
        kept_versions.hide("successor")
    pinned = make_assessment(owner, answers=SAFEST, name="Pinned")
    if request.param == "retired":
        successor = Questionnaire.objects.get(pk=kept_versions.value["successor"])
        loading.questionnaire_publish(successor)
    questionnaire.refresh_from_db()
    assert questionnaire.status == request.param
    before = state(questionnaire, pinned)
    assert before["verdict"][0] == "owner" and before["hash matches document"]
    return SimpleNamespace(version=questionnaire, pinned=pinned, before=before)


@pytest.fixture(scope="module")
def kept_versions(django_db_setup, django_db_blocker):
    """Two clones of the bank made once for the module (~0.4 s a clone), each test rolling
    back to them: the draft most tests change, and the successor whose publishing retires the
    bank in `frozen`'s retired case. A test finds only those it asks for (see module_rows)."""

    def clone(version):
        def build():
            source = loading.questionnaire_load(document=bank.load_bank_file(), publish=True)
            return loading.questionnaire_clone(source.questionnaire, version=version).pk

        return build

    builds = {"draft": clone("2026.3-edit"), "successor": clone("2026.4")}
    with module_rows(django_db_blocker, **builds) as rows:
        yield rows


@pytest.fixture(autouse=True)
def _versions_only_where_asked(request, kept_versions):
    request.getfixturevalue("_question_bank")  # after the test's transaction has begun
    if "draft_questionnaire" not in request.fixturenames:
        kept_versions.hide("draft")
    if "frozen" not in request.fixturenames:
        kept_versions.hide("successor")


@pytest.fixture
def draft_questionnaire(questionnaire, kept_versions):
    return Questionnaire.objects.get(pk=kept_versions.value["draft"])


def first(queryset):
    return queryset.order_by("pk").first()


def cited_question(version):
    return first(Question.objects.filter(questionnaire=version).exclude(frameworks=None))


def cited_reference(version):
    return cited_question(version).frameworks.order_by("pk").first()


def changed(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()


def bulk_update_weights(version):
    weights = list(ChoiceWeight.objects.filter(choice__question__questionnaire=version)[:3])
    for weight in weights:
        weight.points = Decimal("0")
    ChoiceWeight.objects.bulk_update(weights, ["points"])


def add_a_link(version):
    question = cited_question(version)
    other = first(FrameworkReference.objects.exclude(question=question))
    question.frameworks.add(other)


def other_document(version):
    document = copy.deepcopy(version.document)
    document["thresholds"]["owner"] = 99
    return document


WAYS = {
    # model saves
    "save a choice weight": lambda v: changed(
        first(ChoiceWeight.objects.filter(choice__question__questionnaire=v)), points=Decimal("9")
    ),
    "save a dimension weight": lambda v: changed(first(v.dimensions), weight=Decimal("5")),
    "save a section": lambda v: changed(first(v.sections), title="Renamed"),
    "save a question": lambda v: changed(first(v.questions), text="Changed?"),
    "save a choice": lambda v: changed(
        first(Choice.objects.filter(question__questionnaire=v)), label="Changed"
    ),
    "save a rule": lambda v: changed(first(v.rules), cap="copilot"),
    "turn a cap into a floor": lambda v: changed(first(v.rules), kind="floor"),
    "mark a question optional": lambda v: changed(
        first(v.questions.filter(core=False)), optional=True
    ),
    "save a threshold": lambda v: changed(first(v.thresholds), min_score=Decimal("1")),
    "save an ownership condition": lambda v: changed(
        first(v.ownership_conditions), title="Changed"
    ),
    "save the questionnaire's title": lambda v: changed(v, title="Changed"),
    "save the questionnaire's document": lambda v: changed(
        v, document=other_document(v), content_hash=bank.document_hash(other_document(v))
    ),
    "reopen the questionnaire as a draft": lambda v: changed(v, status="draft"),
    # creating rows in it
    "create a question": lambda v: Question.objects.create(
        questionnaire=v, section=first(v.sections), key="added", text="Added?"
    ),
    "create a choice": lambda v: Choice.objects.create(
        question=first(v.questions), key="added", label="Added", order=99
    ),
    "create a threshold through the related manager": lambda v: v.thresholds.create(
        verdict="owner", min_score=1
    ),
    "bulk_create choices": lambda v: Choice.objects.bulk_create(
        [Choice(question=first(v.questions), key="added", label="Added", order=99)]
    ),
    # QuerySet updates
    "update weights": lambda v: ChoiceWeight.objects.filter(
        choice__question__questionnaire=v
    ).update(points=0),
    "update rules through the related manager": lambda v: v.rules.update(cap="copilot"),
    "update rules' kind": lambda v: Rule.objects.filter(questionnaire=v).update(kind="floor"),
    "update questions' optional flag": lambda v: v.questions.update(optional=True),
    "update every version's dimensions": lambda v: Dimension.objects.update(weight=3),
    "update sections": lambda v: Section.objects.filter(questionnaire=v).update(intro="x"),
    "update ownership conditions": lambda v: OwnershipCondition.objects.filter(
        questionnaire=v
    ).update(condition={}),
    "update the document": lambda v: Questionnaire.objects.filter(pk=v.pk).update(
        document=other_document(v)
    ),
    "update the hash": lambda v: Questionnaire.objects.filter(pk=v.pk).update(
        content_hash="0" * 64
    ),
    "update the status back to draft": lambda v: Questionnaire.objects.filter(pk=v.pk).update(
        status="draft"
    ),
    "bulk_update weights": bulk_update_weights,
    "bulk_update the optional flag": lambda v: Question.objects.bulk_update(
        [Question(pk=first(v.questions).pk, optional=True)], ["optional"]
    ),
    "bulk_update the questionnaire": lambda v: Questionnaire.objects.bulk_update(
        [Questionnaire(pk=v.pk, title="Changed", status=v.status)], ["title"]
    ),
    # deletes
    "delete a question": lambda v: first(v.questions).delete(),
    "delete a choice weight": lambda v: first(
        ChoiceWeight.objects.filter(choice__question__questionnaire=v)
    ).delete(),
    "delete rules": lambda v: Rule.objects.filter(questionnaire=v).delete(),
    "delete thresholds through the related manager": lambda v: v.thresholds.all().delete(),
    "delete the questionnaire": lambda v: v.delete(),
    "delete questionnaires": lambda v: Questionnaire.objects.filter(pk=v.pk).delete(),
    # framework links (M2M), from either side
    "add a framework link": add_a_link,
    "remove a framework link": lambda v: cited_question(v).frameworks.remove(cited_reference(v)),
    "clear a rule's framework links": lambda v: first(
        v.rules.exclude(frameworks=None)
    ).frameworks.clear(),
    "set the baseline frameworks": lambda v: v.baseline_frameworks.set([]),
    "clear a reference's citations from its side": lambda v: cited_reference(
        v
    ).question_set.clear(),
    # framework references it cites
    "delete a cited reference": lambda v: cited_reference(v).delete(),
    "delete cited references": lambda v: FrameworkReference.objects.filter(
        pk=cited_reference(v).pk
    ).delete(),
    "rename a cited reference": lambda v: changed(cited_reference(v), title="Renamed"),
    "update cited references": lambda v: FrameworkReference.objects.filter(
        pk=cited_reference(v).pk
    ).update(title="Renamed"),
}


@pytest.mark.parametrize("way", WAYS)
def test_every_write_to_a_non_draft_version_is_refused_and_changes_nothing(frozen, way):
    with pytest.raises(ImmutableQuestionnaire) as refused, transaction.atomic():
        WAYS[way](frozen.version)
    assert frozen.version.version in refused.value.versions
    assert frozen.version.version in " ".join(refused.value.messages)
    assert state(frozen.version, frozen.pinned) == frozen.before


def test_a_refused_save_leaves_the_callers_transaction_usable(frozen):
    weight = first(ChoiceWeight.objects.filter(choice__question__questionnaire=frozen.version))
    with transaction.atomic():
        with pytest.raises(ImmutableQuestionnaire):
            changed(weight, points=Decimal("9"))
        assert Questionnaire.objects.filter(pk=frozen.version.pk).exists()  # no broken txn


def test_the_refusal_names_the_version_and_the_way_out(questionnaire):
    with pytest.raises(ImmutableQuestionnaire) as refused:
        first(questionnaire.dimensions).delete()
    assert refused.value.messages == [
        "Not deleted. Questionnaire version 2026.3 is published and cannot be changed: "
        "assessments are pinned to it. Clone a version as a new draft and edit that."
    ]


# --- what stays allowed ---------------------------------------------------------------------------


def test_publishing_retires_the_previous_version_without_changing_it(questionnaire, owner):
    pinned = make_assessment(owner, answers=SAFEST, name="Pinned")
    before = state(questionnaire, pinned)
    newer = loading.questionnaire_clone(questionnaire, version="2026.4")
    loading.questionnaire_publish(newer)
    after = state(questionnaire, pinned)
    assert after.pop("status") == "retired" and before.pop("status") == "published"
    assert after == before
    assert Questionnaire.current() == newer


def test_a_retired_version_is_never_published_again(questionnaire, draft_questionnaire):
    loading.questionnaire_publish(draft_questionnaire)
    questionnaire.refresh_from_db()
    with pytest.raises(ImmutableQuestionnaire):
        loading.questionnaire_publish(questionnaire)
    with pytest.raises(ImmutableQuestionnaire):
        Questionnaire.objects.filter(pk=questionnaire.pk).update(status="published")
    with pytest.raises(ImmutableQuestionnaire):
        changed(questionnaire, status="published")
    assert Questionnaire.current() == draft_questionnaire
    questionnaire.refresh_from_db()
    assert questionnaire.status == "retired"


def test_a_draft_is_edited_and_deleted_freely(questionnaire, draft_questionnaire):
    changed(first(draft_questionnaire.dimensions), weight=Decimal("2"))
    ChoiceWeight.objects.filter(choice__question__questionnaire=draft_questionnaire).update(
        points=1
    )
    Rule.objects.filter(questionnaire=draft_questionnaire, key="partial-evidence").delete()
    first(draft_questionnaire.questions.exclude(frameworks=None)).frameworks.clear()
    draft_questionnaire.delete()
    assert not Questionnaire.objects.filter(version="2026.3-edit").exists()
    assert not Question.objects.filter(questionnaire_id=draft_questionnaire.pk).exists()
    assert Questionnaire.objects.get(pk=questionnaire.pk).status == "published"


def test_a_reference_only_a_draft_cites_can_be_deleted(questionnaire, draft_questionnaire):
    reference = FrameworkReference.objects.create(
        ref="test:X-1", framework="Test", identifier="X-1", title="Only in a draft"
    )
    first(draft_questionnaire.questions).frameworks.add(reference)
    changed(reference, title="Renamed")
    reference.delete()
    assert not FrameworkReference.objects.filter(ref="test:X-1").exists()


def test_the_refusal_lists_each_cited_reference_and_version(questionnaire):
    reference = cited_reference(questionnaire)
    with pytest.raises(ImmutableQuestionnaire) as refused:
        reference.delete()
    assert (
        f"Not deleted: framework reference {reference.ref} is cited by questionnaire version "
        "2026.3 (published), which cannot change." in refused.value.messages
    )


# --- one version, one version's rows ----------------------------------------------------------


def test_a_draft_row_cannot_reach_into_a_published_version(questionnaire, draft_questionnaire):
    draft_choice = first(Choice.objects.filter(question__questionnaire=draft_questionnaire))
    published_dimension = first(questionnaire.dimensions)
    with pytest.raises(ImmutableQuestionnaire):
        ChoiceWeight.objects.create(choice=draft_choice, dimension=published_dimension, points=1)
    with pytest.raises(ImmutableQuestionnaire):
        Question.objects.filter(questionnaire=draft_questionnaire).update(
            questionnaire=questionnaire
        )
    assert Question.objects.filter(questionnaire=draft_questionnaire).count() == len(
        [q for s in draft_questionnaire.document["sections"] for q in s["questions"]]
    )


def test_a_row_cannot_link_two_drafts(questionnaire, draft_questionnaire):
    other = loading.questionnaire_clone(questionnaire, version="2026.3-other")
    choice = first(Choice.objects.filter(question__questionnaire=draft_questionnaire))
    with pytest.raises(MixedVersions):
        ChoiceWeight.objects.create(choice=choice, dimension=first(other.dimensions), points=1)
    with pytest.raises(MixedVersions):
        Question.objects.filter(questionnaire=draft_questionnaire).update(questionnaire=other)


def test_two_published_versions_never_coexist(questionnaire, draft_questionnaire):
    with pytest.raises(AlreadyPublished, match="version 2026.3 is published"):
        Questionnaire.objects.filter(pk=draft_questionnaire.pk).update(status="published")
    with pytest.raises(AlreadyPublished):
        changed(draft_questionnaire, status="published")
    with pytest.raises(AlreadyPublished):
        Questionnaire.objects.bulk_create(
            [Questionnaire(version="x", title="x", status="published", document={})]
        )
    # Below the models, the database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire._base_manager.filter(pk=draft_questionnaire.pk).update(status="published")
    assert list(Questionnaire.objects.filter(status="published")) == [questionnaire]


def test_loading_a_published_bank_retires_the_previous_version(questionnaire, owner):
    pinned = make_assessment(owner, answers=SAFEST, name="Pinned")
    before = state(questionnaire, pinned)
    raw = copy.deepcopy(bank.read_yaml(bank.DEFAULT_BANK))
    raw["version"] = "2026.9"
    newer = loading.questionnaire_load(document=bank.parse_bank(raw), publish=True).questionnaire
    assert list(Questionnaire.objects.filter(status="published")) == [newer]
    after = state(questionnaire, pinned)
    assert after.pop("status") == "retired" and before.pop("status") == "published"
    assert after == before


def test_the_load_command_with_publish_leaves_one_published_version(questionnaire, tmp_path):
    raw = copy.deepcopy(bank.read_yaml(bank.DEFAULT_BANK))
    raw["version"] = "2026.9"
    path = tmp_path / "next.yaml"
    path.write_text(yaml.safe_dump(raw))
    call_command("load_questionnaire", str(path), "--publish", stdout=io.StringIO())
    assert [q.version for q in Questionnaire.objects.filter(status="published")] == ["2026.9"]
    assert Questionnaire.objects.get(pk=questionnaire.pk).content_hash == (
        questionnaire.content_hash
    )


def test_publishing_a_published_version_by_command_changes_nothing(frozen):
    version = frozen.version.version
    if frozen.version.status == "retired":
        with pytest.raises(CommandError) as error:
            call_command("publish_questionnaire", version)
        assert error.value.returncode == 2
    else:
        out = io.StringIO()
        call_command("publish_questionnaire", version, stdout=out)
        assert "nothing changed" in out.getvalue()
    assert state(frozen.version, frozen.pinned) == frozen.before


# --- the back office ---------------------------------------------------------------------------


@pytest.fixture
def admin_web(client):
    client.force_login(make_user("qadmin", roles=("admin",)))
    return client


def test_list_editing_shows_a_frozen_versions_weights_disabled_and_ignores_a_forged_post(
    admin_web, frozen
):
    url = reverse("admin:assessor_choiceweight_changelist")
    query = f"?choice__question__questionnaire__id__exact={frozen.version.pk}"
    page = admin_web.get(url + query)
    assert page.status_code == 200
    formset = page.context["cl"].formset
    assert all(form.fields["points"].disabled for form in formset.forms)
    assert 'name="form-0-points"' in page.content.decode()
    data = changelist_data(formset, "points", "42")
    response = admin_web.post(url + query, data)
    assert response.status_code in (200, 302)
    assert state(frozen.version, frozen.pinned) == frozen.before


def test_dimension_list_editing_cannot_touch_a_frozen_version(admin_web, frozen):
    url = reverse("admin:assessor_dimension_changelist")
    query = f"?questionnaire__id__exact={frozen.version.pk}"
    formset = admin_web.get(url + query).context["cl"].formset
    data = changelist_data(formset, "weight", "9")
    assert admin_web.post(url + query, data).status_code in (200, 302)
    assert state(frozen.version, frozen.pinned) == frozen.before


def test_an_add_form_cannot_add_to_a_frozen_version(admin_web, frozen):
    question = first(frozen.version.questions)
    response = admin_web.post(
        reverse("admin:assessor_choice_add"),
        {
            "question": question.pk,
            "key": "added",
            "label": "Added",
            "order": 9,
            "weights-TOTAL_FORMS": "0",
            "weights-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert state(frozen.version, frozen.pinned) == frozen.before


def test_a_frozen_rows_change_and_delete_pages_refuse(admin_web, frozen):
    question = first(frozen.version.questions)
    page = admin_web.get(reverse("admin:assessor_question_change", args=[question.pk]))
    assert page.status_code == 200
    assert 'name="text"' not in page.content.decode()  # read only, inlines too
    assert 'name="choices-0-label"' not in page.content.decode()
    response = admin_web.post(
        reverse("admin:assessor_question_delete", args=[question.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert state(frozen.version, frozen.pinned) == frozen.before


@pytest.mark.parametrize(
    "changelist, rows",
    [
        ("admin:assessor_question_changelist", lambda v: list(v.questions.all()[:2])),
        (
            "admin:assessor_choiceweight_changelist",
            lambda v: [first(ChoiceWeight.objects.filter(choice__question__questionnaire=v))],
        ),
        ("admin:assessor_questionnaire_changelist", lambda v: [v]),
        ("admin:assessor_frameworkreference_changelist", lambda v: [cited_reference(v)]),
    ],
)
def test_delete_selected_on_a_frozen_version_says_why_and_deletes_nothing(
    admin_web, frozen, changelist, rows
):
    selected = [row.pk for row in rows(frozen.version)]
    for confirmed in ({}, {"post": "yes"}):
        response = admin_web.post(
            reverse(changelist),
            {"action": "delete_selected", "_selected_action": selected, **confirmed},
            follow=True,
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Not deleted" in html and f"version {frozen.version.version}" in html
    assert state(frozen.version, frozen.pinned) == frozen.before


def test_reverting_a_frozen_row_from_its_history_is_a_form_error(admin_web, frozen):
    weight = first(ChoiceWeight.objects.filter(choice__question__questionnaire=frozen.version))
    record = weight.history.earliest("history_date")
    url = reverse("admin:assessor_choiceweight_simple_history", args=[weight.pk, record.history_id])
    response = admin_web.post(
        url, {"choice": weight.choice_id, "dimension": weight.dimension_id, "points": "42"}
    )
    assert response.status_code == 200
    status = frozen.version.status
    assert f"Questionnaire version 2026.3 is {status} and cannot be changed" in (
        response.content.decode()
    )
    assert state(frozen.version, frozen.pinned) == frozen.before
