"""Admin tuning: draft versions, validation on save, impact preview, publish, YAML round trip."""

import io

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessor import bank
from assessor.bank import loading
from assessor.models import (
    Answer,
    Assessment,
    Choice,
    ChoiceWeight,
    Membership,
    Questionnaire,
    Rule,
    Threshold,
)
from assessor.teams.membership import member_add
from tests.builders import SAFEST, changelist_data, make_assessment, make_user, module_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def qadmin(db):
    return make_user("qadmin", roles=("admin",))


@pytest.fixture
def admin_web(client, qadmin):
    client.force_login(qadmin)
    return client


@pytest.fixture(scope="module")
def kept_draft(django_db_setup, django_db_blocker):
    """The draft most tests here change, cloned once for the module (~0.4 s a clone), each
    test rolling back to it; a test that does not ask for it finds none (see module_rows)."""

    def build():
        source = loading.questionnaire_load(document=bank.load_bank_file(), publish=True)
        return loading.questionnaire_clone(source.questionnaire, version="2026.4").pk

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


def weight(questionnaire, question, choice, dimension):
    return ChoiceWeight.objects.get(
        choice__question__questionnaire=questionnaire,
        choice__question__key=question,
        choice__key=choice,
        dimension__key=dimension,
    )


def snapshot_counts():
    return {
        "weights": list(ChoiceWeight.objects.order_by("pk").values_list("points", flat=True)),
        "rules": list(Rule.objects.order_by("pk").values_list("condition", flat=True)),
        "thresholds": list(Threshold.objects.order_by("pk").values_list("min_score", flat=True)),
        "choices": Choice.objects.count(),
        "documents": list(
            Questionnaire.objects.order_by("pk").values_list("content_hash", flat=True)
        ),
    }


# --- versions ------------------------------------------------------------------------------


def test_clone_action_makes_a_draft_with_the_same_bank(admin_web, questionnaire):
    response = admin_web.post(
        reverse("admin:assessor_questionnaire_changelist"),
        {"action": "clone_as_draft", "_selected_action": [questionnaire.pk]},
    )
    assert response.status_code == 302
    clone = Questionnaire.objects.get(status=Questionnaire.Status.DRAFT)
    assert clone.version == "2026.3-draft1"
    expected = {**questionnaire.document, "version": clone.version}
    assert clone.document == expected


def test_published_versions_cannot_be_edited_in_the_admin(admin_web, questionnaire):
    row = weight(questionnaire, "kill_switch", "yes", "policy")
    url = reverse("admin:assessor_choiceweight_change", args=[row.pk])
    response = admin_web.post(
        url, {"choice": row.choice_id, "dimension": row.dimension_id, "points": "9"}
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.points == 2


def test_editing_a_draft_recompiles_it_and_leaves_existing_assessments_alone(
    admin_web, questionnaire, draft_questionnaire, owner
):
    assessment = make_assessment(owner, answers=SAFEST)
    row = weight(draft_questionnaire, "kill_switch", "yes", "policy")
    response = admin_web.post(
        reverse("admin:assessor_choiceweight_change", args=[row.pk]),
        {"choice": row.choice_id, "dimension": row.dimension_id, "points": "0.5"},
    )
    assert response.status_code == 302
    draft_questionnaire.refresh_from_db()
    kill = next(
        q
        for s in draft_questionnaire.document["sections"]
        for q in s["questions"]
        if q["key"] == "kill_switch"
    )
    assert kill["choices"][0]["weights"] == {"policy": 0.5}
    questionnaire.refresh_from_db()
    assert weight(questionnaire, "kill_switch", "yes", "policy").points == 2
    assessment.refresh_from_db()
    assert assessment.questionnaire == questionnaire and assessment.verdict == "owner"


def test_weights_are_editable_in_a_list(admin_web, draft_questionnaire):
    url = reverse("admin:assessor_choiceweight_changelist")
    query = f"?choice__question__questionnaire__id__exact={draft_questionnaire.pk}"
    page = admin_web.get(url + query)
    assert page.status_code == 200 and 'name="form-0-points"' in page.content.decode()
    formset = page.context["cl"].formset
    data = changelist_data(formset, "points")
    target = formset.forms[0].instance
    data["form-0-points"] = "1.25"
    response = admin_web.post(url + query, data)
    assert response.status_code == 302
    target.refresh_from_db()
    assert str(target.points) == "1.25"
    draft_questionnaire.refresh_from_db()
    assert (
        draft_questionnaire.content_hash != Questionnaire.objects.get(version="2026.3").content_hash
    )


# --- validation on save: a clear error, nothing saved ---------------------------------------


def test_a_rule_naming_a_missing_choice_is_refused(admin_web, draft_questionnaire):
    rule = Rule.objects.get(questionnaire=draft_questionnaire, key="approval-chain-unclear")
    before = snapshot_counts()
    response = admin_web.post(
        reverse("admin:assessor_rule_change", args=[rule.pk]),
        {
            "questionnaire": draft_questionnaire.pk,
            "key": rule.key,
            "cap": "copilot",
            "reason": rule.reason,
            "condition": '{"question": "approval_chain", "in": ["vague"]}',
            "order": 0,
        },
    )
    assert response.status_code == 200
    assert "names unknown choice(s) [&#x27;vague&#x27;] of question &#x27;approval_chain&#x27;" in (
        response.content.decode()
    )
    assert snapshot_counts() == before


def test_a_rule_naming_a_missing_question_is_refused(admin_web, draft_questionnaire):
    before = snapshot_counts()
    response = admin_web.post(
        reverse("admin:assessor_rule_add"),
        {
            "questionnaire": draft_questionnaire.pk,
            "key": "new-rule",
            "cap": "supervised",
            "reason": "x",
            "condition": '{"question": "nope", "in": ["x"]}',
            "order": 99,
        },
    )
    assert response.status_code == 200
    assert "names unknown question &#x27;nope&#x27;" in response.content.decode()
    assert snapshot_counts() == before


def test_thresholds_out_of_order_are_refused(admin_web, draft_questionnaire):
    supervised = Threshold.objects.get(questionnaire=draft_questionnaire, verdict="supervised")
    before = snapshot_counts()
    response = admin_web.post(
        reverse("admin:assessor_threshold_change", args=[supervised.pk]),
        {"questionnaire": draft_questionnaire.pk, "verdict": "supervised", "min_score": "85"},
    )
    assert response.status_code == 200
    assert "Thresholds must be in order" in response.content.decode()
    assert snapshot_counts() == before


def test_a_weight_that_is_not_a_number_is_refused(admin_web, draft_questionnaire):
    row = weight(draft_questionnaire, "kill_switch", "yes", "policy")
    before = snapshot_counts()
    response = admin_web.post(
        reverse("admin:assessor_choiceweight_change", args=[row.pk]),
        {"choice": row.choice_id, "dimension": row.dimension_id, "points": "lots"},
    )
    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()
    assert snapshot_counts() == before


def test_a_change_that_breaks_the_bank_elsewhere_is_rolled_back(admin_web, draft_questionnaire):
    # Deleting a choice that a rule names would leave the rule pointing at nothing.
    choice = Choice.objects.get(
        question__questionnaire=draft_questionnaire, question__key="approval_chain", key="unclear"
    )
    before = snapshot_counts()
    response = admin_web.post(
        reverse("admin:assessor_choice_delete", args=[choice.pk]), {"post": "yes"}, follow=True
    )
    assert "Not saved: the bank would become invalid." in response.content.decode()
    assert Choice.objects.filter(pk=choice.pk).exists()
    assert snapshot_counts() == before


def test_delete_selected_that_breaks_the_bank_is_rolled_back_with_the_reason(
    admin_web, draft_questionnaire
):
    # The rule approval-chain-unclear names this choice: the whole-bank check must refuse.
    choice = Choice.objects.get(
        question__questionnaire=draft_questionnaire, question__key="approval_chain", key="unclear"
    )
    before = snapshot_counts()
    response = admin_web.post(
        reverse("admin:assessor_choice_changelist"),
        {"action": "delete_selected", "_selected_action": [choice.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not saved: the bank would become invalid." in html and "unclear" in html
    assert Choice.objects.filter(pk=choice.pk).exists()
    assert snapshot_counts() == before


def test_delete_selected_on_a_draft_recompiles_it(admin_web, questionnaire, draft_questionnaire):
    rule = Rule.objects.get(questionnaire=draft_questionnaire, key="partial-evidence")
    response = admin_web.post(
        reverse("admin:assessor_rule_changelist"),
        {"action": "delete_selected", "_selected_action": [rule.pk], "post": "yes"},
    )
    assert response.status_code == 302
    draft_questionnaire.refresh_from_db()
    assert "partial-evidence" not in [r["id"] for r in draft_questionnaire.document["rules"]]
    assert draft_questionnaire.content_hash == bank.document_hash(draft_questionnaire.document)
    questionnaire.refresh_from_db()
    assert "partial-evidence" in [r["id"] for r in questionnaire.document["rules"]]


# --- impact preview, publish ------------------------------------------------------------------


@pytest.fixture
def team_a_auditor(qadmin):
    """The questionnaire admin also reads Team A's records (roles are per team)."""
    member_add(team_name="Team A", username=qadmin.username, role="auditor")
    return qadmin


def _make_draft_stricter(draft_questionnaire):
    """Tighten the draft: partial evidence now caps at copilot, and the owner bar rises."""
    Rule.objects.filter(questionnaire=draft_questionnaire, key="partial-evidence").update(
        cap="copilot"
    )
    Threshold.objects.filter(questionnaire=draft_questionnaire, verdict="owner").update(
        min_score=99
    )
    loading.questionnaire_refresh(draft_questionnaire)


def test_impact_preview_shows_counts_and_each_change_with_its_cause(
    admin_web, team_a_auditor, draft_questionnaire, owner
):
    make_assessment(owner, answers={**SAFEST, "evidence_capture": "partial"}, name="Partial")
    safe = make_assessment(owner, answers=SAFEST, name="Safest")
    nearly = make_assessment(
        owner, answers={**SAFEST, "monitoring": "periodic_review"}, name="Nearly"
    )
    make_assessment(owner, answers={"task_type": "other"}, name="Unfinished")
    _make_draft_stricter(draft_questionnaire)
    before = snapshot_counts()
    answers_before = Answer.objects.count()

    response = admin_web.get(reverse("admin:assessor_impact", args=[draft_questionnaire.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    impact = response.context["impact"]
    assert impact.before == {"copilot": 0, "supervised": 1, "owner": 2, "incomplete": 1}
    assert impact.after == {"copilot": 1, "supervised": 1, "owner": 1, "incomplete": 1}
    changed = {c.name: c for c in impact.changes}
    assert set(changed) == {"Partial", "Nearly"}
    assert [r.id for r in changed["Partial"].rules_added] == ["partial-evidence"]
    assert (
        "What evidence does each run leave behind?",
        "Partial (some steps are not recorded)",
    ) in (changed["Partial"].answers)
    assert changed["Nearly"].after == "supervised" and not changed["Nearly"].rules_added
    assert "Now fires: <strong>partial-evidence</strong>" in html
    # the preview changed nothing
    assert snapshot_counts() == before and Answer.objects.count() == answers_before
    assert {a.name: a.verdict for a in Assessment.objects.all()}["Partial"] == "supervised"
    assert safe.pk and nearly.pk


def test_impact_preview_runs_a_fixed_number_of_queries(
    admin_web, team_a_auditor, draft_questionnaire, owner, django_assert_max_num_queries
):
    for n in range(3):
        make_assessment(owner, answers=SAFEST, name=f"A{n}")
    url = reverse("admin:assessor_impact", args=[draft_questionnaire.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_web.get(url)
    for n in range(20):
        make_assessment(owner, answers={**SAFEST, "evidence_capture": "partial"}, name=f"B{n}")
    with CaptureQueriesContext(connection) as many:
        response = admin_web.get(url)
    assert len(few) == len(many)
    assert response.context["impact"].total == 23


def test_impact_preview_counts_every_team_and_names_only_the_readable_ones(
    admin_web, qadmin, draft_questionnaire, owner, outsider
):
    """An admin of the bank in Team A who is an auditor in Team B: Team B's records are named;
    Team A's, where the admin reads nothing, are counted by verdict, never named."""
    member_add(team_name="Team B", username=qadmin.username, role="auditor")
    _make_draft_stricter(draft_questionnaire)
    make_assessment(owner, answers={**SAFEST, "evidence_capture": "partial"}, name="Team A rec")
    make_assessment(owner, answers={**SAFEST, "task_type": "other"}, name="Team A same")
    make_assessment(outsider, answers={**SAFEST, "evidence_capture": "partial"}, name="Team B rec")
    response = admin_web.get(reverse("admin:assessor_impact", args=[draft_questionnaire.pk]))
    assert response.status_code == 200
    impact = response.context["impact"]
    assert impact.total == 3 and impact.changed == 2
    assert [(c.name, c.team) for c in impact.changes] == [("Team B rec", "Team B")]
    assert (impact.unreadable.total, impact.unreadable.changed) == (2, 1)
    html = response.content.decode()
    assert "Team A rec" not in html and "Team A same" not in html
    # with no reading role anywhere, everything is counted and nothing named
    Membership.objects.filter(user=qadmin, team__name="Team B").update(auditor=False)
    response = admin_web.get(reverse("admin:assessor_impact", args=[draft_questionnaire.pk]))
    impact = response.context["impact"]
    assert (impact.total, impact.changed, impact.changes) == (3, 2, [])
    assert impact.after == {"copilot": 2, "supervised": 1, "owner": 0, "incomplete": 0}
    assert "Team B rec" not in response.content.decode()


def test_publish_makes_the_draft_current_and_retires_the_old_version(
    admin_web, questionnaire, draft_questionnaire, owner
):
    old = make_assessment(owner, answers=SAFEST, name="Old")
    _make_draft_stricter(draft_questionnaire)
    response = admin_web.post(
        reverse("admin:assessor_questionnaire_changelist"),
        {"action": "publish", "_selected_action": [draft_questionnaire.pk]},
    )
    assert response.status_code == 302
    assert Questionnaire.current() == draft_questionnaire
    questionnaire.refresh_from_db()
    assert questionnaire.status == Questionnaire.Status.RETIRED
    new = make_assessment(owner, answers=SAFEST, name="New")
    assert (
        new.questionnaire == draft_questionnaire and new.verdict == "owner"
    )  # 100 still reaches 99
    old.refresh_from_db()
    assert old.questionnaire == questionnaire and old.verdict == "owner"
    owner_client = admin_web
    owner_client.force_login(owner)
    assert "version 2026.4" in owner_client.get(reverse("report", args=[new.pk])).content.decode()
    assert "version 2026.3" in owner_client.get(reverse("report", args=[old.pk])).content.decode()


def test_the_admin_action_does_not_publish_a_verdict_change_without_a_second_admin(
    admin_web, questionnaire, draft_questionnaire, owner
):
    make_assessment(owner, answers={**SAFEST, "evidence_capture": "partial"}, name="Partial")
    _make_draft_stricter(draft_questionnaire)
    make_user("qadmin2", roles=("admin",))
    publish = {"action": "publish", "_selected_action": [draft_questionnaire.pk]}
    response = admin_web.post(reverse("admin:assessor_questionnaire_changelist"), publish)
    assert response.status_code == 302
    draft_questionnaire.refresh_from_db()
    assert draft_questionnaire.status == Questionnaire.Status.DRAFT
    # with no second questionnaire admin, it is published and marked so
    Membership.objects.filter(user__username="qadmin2").delete()
    admin_web.post(reverse("admin:assessor_questionnaire_changelist"), publish)
    draft_questionnaire.refresh_from_db()
    assert (draft_questionnaire.status, draft_questionnaire.published_without_review) == (
        "published",
        True,
    )


def test_publish_questionnaire_command(questionnaire, draft_questionnaire):
    out = io.StringIO()
    call_command("publish_questionnaire", "2026.4", stdout=out)
    assert "Published 2026.4." in out.getvalue()
    assert Questionnaire.current() == draft_questionnaire
    with pytest.raises(CommandError) as error:
        call_command("publish_questionnaire", "nope")
    assert error.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("publish_questionnaire", questionnaire.version)  # retired now


def test_the_publish_command_records_who_ran_it(
    questionnaire, draft_questionnaire, admin_web, monkeypatch
):
    call_command("publish_questionnaire", "2026.4", "--by", "ops-oncall", stdout=io.StringIO())
    draft_questionnaire.refresh_from_db()
    assert (draft_questionnaire.status, draft_questionnaire.published_by_command) == (
        "published",
        "ops-oncall",
    )
    assert "ops-oncall (command line)" in admin_web.get(reverse("studio_versions")).content.decode()


def test_the_publish_command_records_the_system_login_by_default(
    questionnaire, draft_questionnaire, monkeypatch
):
    monkeypatch.setattr("getpass.getuser", lambda: "deploy")
    call_command("publish_questionnaire", "2026.4", stdout=io.StringIO())
    draft_questionnaire.refresh_from_db()
    assert draft_questionnaire.published_by_command == "deploy"


# --- YAML round trip ----------------------------------------------------------------------------


def test_export_then_import_gives_an_identical_bank(questionnaire, tmp_path):
    out = io.StringIO()
    call_command("export_questionnaire", stdout=out)
    exported = yaml.safe_load(out.getvalue())
    assert exported["version"] == "2026.3"
    assert bank.parse_bank(exported) == questionnaire.document
    exported["version"] = "2026.3-copy"
    path = tmp_path / "copy.yaml"
    path.write_text(yaml.safe_dump(exported, allow_unicode=True))
    call_command("load_questionnaire", str(path), stdout=io.StringIO())
    copy = Questionnaire.objects.get(version="2026.3-copy")
    assert copy.status == Questionnaire.Status.DRAFT
    assert {**copy.document, "version": "2026.3"} == questionnaire.document
    again = io.StringIO()
    call_command("export_questionnaire", "--version", "2026.3-copy", stdout=again)
    assert {**yaml.safe_load(again.getvalue()), "version": "2026.3"} == {
        **exported,
        "version": "2026.3",
    }


def test_the_shipped_bank_survives_the_database_round_trip(questionnaire, document):
    assert bank.parse_bank(loading.bank_from_rows(questionnaire)) == document


def test_export_action_downloads_yaml(admin_web, questionnaire):
    response = admin_web.post(
        reverse("admin:assessor_questionnaire_changelist"),
        {"action": "export_yaml", "_selected_action": [questionnaire.pk]},
    )
    assert response["Content-Disposition"] == 'attachment; filename="questionnaire-2026.3.yaml"'
    assert bank.parse_bank(yaml.safe_load(response.content)) == questionnaire.document


def test_export_of_an_unknown_version_exits_2(questionnaire):
    with pytest.raises(CommandError) as error:
        call_command("export_questionnaire", "--version", "0.0")
    assert error.value.returncode == 2


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "approver", "auditor"])
def test_only_the_questionnaire_admin_role_reaches_the_back_office(
    client, questionnaire, draft_questionnaire, role
):
    user = make_user(f"a-{role}", roles=(role,))
    client.force_login(user)
    for url in (
        reverse("admin:index"),
        reverse("admin:assessor_questionnaire_changelist"),
        reverse("admin:assessor_impact", args=[draft_questionnaire.pk]),
        reverse("admin:assessor_choiceweight_changelist"),
    ):
        assert client.get(url).status_code in (403, 404), url


def test_the_questionnaire_admin_reaches_it(admin_web, draft_questionnaire):
    assert admin_web.get(reverse("admin:index")).status_code == 200
    assert (
        admin_web.get(reverse("admin:assessor_impact", args=[draft_questionnaire.pk])).status_code
        == 200
    )
    # but not the review records of any team
    assert admin_web.get(reverse("admin:assessor_assessment_changelist")).status_code == 403


def test_the_impact_preview_shows_what_2026_2_changes_on_the_examples(owner):
    from assessor.dashboard.examples import EXAMPLES
    from assessor.dashboard.examples import SAFEST as EXAMPLE_SAFEST
    from assessor.studio.impact import impact_preview

    legacy_document = bank.load_bank_file(bank.BANK_DIR / "2026.1.yaml")
    loading.questionnaire_load(document=legacy_document, publish=True)
    legacy_keys = {q["key"] for s in legacy_document["sections"] for q in s["questions"]}
    for example in EXAMPLES:
        answers = {**EXAMPLE_SAFEST, **example["answers"]}
        make_assessment(
            owner,
            answers={k: v for k, v in answers.items() if k in legacy_keys},
            name=example["name"],
        )
    document = bank.load_bank_file(bank.BANK_DIR / "2026.2.yaml")
    draft = loading.questionnaire_load(document=document, publish=False)

    from assessor.models import Team

    impact = impact_preview(draft.questionnaire, readable=Team.objects.all())
    assert impact.before == {"copilot": 1, "supervised": 1, "owner": 1, "incomplete": 0}
    assert impact.after == {"copilot": 0, "supervised": 0, "owner": 0, "incomplete": 3}
    changed = {c.name: c for c in impact.changes}
    new_questions = {
        "What is the worst business effect one wrong action could have?",
        "Can the agent approve its own requests, or change the policy or permissions that "
        "govern it?",
    }
    assert all(set(c.new_questions) == new_questions for c in changed.values())
    # What each could still reach once the two new questions are answered:
    assert changed["Non-production secret rotation"].after_range == ("Copilot", "Bounded ownership")
    # approving production access now caps at supervised whatever the answers
    assert changed["SaaS access approval"].after_range == ("Copilot", "Supervised")
    assert changed["Leaver deprovisioning"].after_range == ("Copilot", "Copilot")


def test_no_route_publishes_a_draft_under_its_working_label(admin_web, questionnaire):
    """The admin's clone is labelled "...-draft1"; publishing it under that label would print
    "Questionnaire v2026.3-draft1" on every new PDF, so the admin action and the command refuse
    it (the studio renames a draft as it publishes it), and nothing changes."""
    labelled = loading.questionnaire_clone(questionnaire)
    assert labelled.version.endswith("-draft1")
    response = admin_web.post(
        reverse("admin:assessor_questionnaire_changelist"),
        {"action": "publish", "_selected_action": [labelled.pk]},
        follow=True,
    )
    assert "label; give the name readers will see" in response.content.decode()
    with pytest.raises(CommandError) as error:
        call_command("publish_questionnaire", labelled.version)
    assert error.value.returncode == 2 and "version:" in str(error.value)
    labelled.refresh_from_db()
    assert labelled.status == Questionnaire.Status.DRAFT
    assert Questionnaire.current() == questionnaire


# --- floors and optional questions ----------------------------------------------------------------


def test_the_rule_list_and_form_show_whether_a_rule_caps_or_lifts(admin_web, draft_questionnaire):
    listing = admin_web.get(reverse("admin:assessor_rule_changelist")).content.decode()
    assert "Kind" in listing and "Cap (holds the verdict at most at the level)" in listing
    rule = Rule.objects.filter(questionnaire=draft_questionnaire).first()
    form = admin_web.get(reverse("admin:assessor_rule_change", args=[rule.pk])).content.decode()
    assert 'name="kind"' in form and "Floor (lifts the verdict to at least the level)" in form


def test_the_question_list_shows_which_questions_are_optional(admin_web, draft_questionnaire):
    listing = admin_web.get(reverse("admin:assessor_question_changelist")).content.decode()
    assert "Optional" in listing


def test_a_floor_at_copilot_is_refused_in_the_admin(admin_web, draft_questionnaire):
    before = snapshot_counts()
    response = admin_web.post(
        reverse("admin:assessor_rule_add"),
        {
            "questionnaire": draft_questionnaire.pk,
            "key": "lift-nothing",
            "kind": "floor",
            "cap": "copilot",
            "reason": "x",
            "condition": '{"question": "approval_chain", "in": ["codified"]}',
            "order": 99,
        },
    )
    assert response.status_code == 200
    assert "A floor at Copilot lifts nothing" in response.content.decode()
    assert snapshot_counts() == before


def test_a_floor_added_in_the_admin_is_compiled_into_the_draft(admin_web, draft_questionnaire):
    response = admin_web.post(
        reverse("admin:assessor_rule_add"),
        {
            "questionnaire": draft_questionnaire.pk,
            "key": "documented-chain-floor",
            "kind": "floor",
            "cap": "supervised",
            "reason": "A documented approval chain a person follows.",
            "condition": '{"question": "approval_chain", "in": ["documented_manual"]}',
            "order": 99,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft_questionnaire.refresh_from_db()
    compiled = next(
        r for r in draft_questionnaire.document["rules"] if r["id"] == "documented-chain-floor"
    )
    assert compiled["floor"] == "supervised" and "cap" not in compiled
