"""Governance: team boundaries, roles, four eyes, immutable records, audit trail, revisions."""

import copy
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessor import bank
from assessor.bank.loading import questionnaire_load
from assessor.models import (
    Answer,
    ApprovedReport,
    Assessment,
    ChoiceWeight,
    Decision,
    ExportRecord,
    Questionnaire,
    Team,
)
from assessor.records import selectors, services
from assessor.review import services as review
from assessor.teams import access
from tests.builders import SAFEST, make_assessment, make_user

pytestmark = pytest.mark.django_db

VIEWS = ["resume", "report", "report_pdf", "export_json", "history"]


@pytest.fixture
def complete(owner, questionnaire):
    return make_assessment(owner, answers=SAFEST, notes={"monitoring": "On call 24/7."})


def as_user(client, user):
    client.force_login(user)
    return client


def submit(client, assessment, comment=""):
    return client.post(reverse("submit", args=[assessment.pk]), {"comment": comment})


# --- who sees what ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("who", ["owner", "teammate", "approver", "auditor"])
def test_every_member_of_the_team_can_read_the_record(client, complete, who, name, request):
    as_user(client, request.getfixturevalue(who))
    response = client.get(reverse(name, args=[complete.pk]))
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"].startswith(f"/assessments/{complete.pk}/")


@pytest.mark.parametrize("name", VIEWS)
def test_anonymous_users_are_sent_to_sign_in(client, complete, name):
    response = client.get(reverse(name, args=[complete.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_dashboard_lists_the_teams_records_only(client, complete, teammate, outsider):
    assert "Secret rotation" in as_user(client, teammate).get("/").content.decode()
    assert "Secret rotation" not in as_user(client, outsider).get("/").content.decode()


def test_an_auditor_reads_but_cannot_change_anything(client, complete, auditor):
    as_user(client, auditor)
    version = complete.version
    response = client.post(
        reverse("wizard", args=[complete.pk, 5]), {"version": version, "privilege_scope": "broad"}
    )
    assert response.status_code == 403
    assert client.post(reverse("submit", args=[complete.pk])).status_code == 403
    assert client.get(reverse("assessment_new")).status_code == 403
    assert Answer.objects.get(assessment=complete, question_key="privilege_scope").choice_key == (
        "narrow"
    )


def test_a_user_in_no_team_sees_nothing_and_cannot_create(client, complete):
    loner = make_user("loner", roles=())
    as_user(client, loner)
    assert "Secret rotation" not in client.get("/").content.decode()
    assert client.get(reverse("report", args=[complete.pk])).status_code == 404
    assert client.get(reverse("assessment_new")).status_code == 403


def test_the_new_assessment_form_only_offers_the_users_teams(client, owner, questionnaire):
    make_user("both", team="Team B", roles=("reviewer",))
    from assessor.teams.membership import member_add

    member_add(team_name="Team A", username="both", role="reviewer")
    both = owner.__class__.objects.get(username="both")
    html = as_user(client, both).get(reverse("assessment_new")).content.decode()
    assert "Team A" in html and "Team B" in html
    team_b = Team.objects.get(name="Team B")
    outsider_team = Team.objects.create(name="Team C")
    response = client.post(reverse("assessment_new"), {"name": "x", "team": outsider_team.pk})
    assert response.status_code == 200  # not a valid choice
    assert not Assessment.objects.filter(team=outsider_team).exists()
    client.post(reverse("assessment_new"), {"name": "In B", "team": team_b.pk})
    assert Assessment.objects.get(name="In B").team == team_b


# --- the review workflow ---------------------------------------------------------------------


def test_submit_locks_answers_and_snapshots_the_scoring_model(client, complete, owner):
    response = submit(as_user(client, owner), complete, "Please review")
    assert response.status_code == 302
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.SUBMITTED
    assert complete.snapshot_document == complete.questionnaire.document
    assert complete.snapshot_result["verdict"] == "owner"
    decision = Decision.objects.get(assessment=complete)
    assert (decision.actor, decision.action, decision.comment) == (
        owner,
        "submitted",
        "Please review",
    )


def test_an_incomplete_assessment_cannot_be_submitted(client, owner, questionnaire):
    assessment = make_assessment(owner, answers={"task_type": "other"})
    response = submit(as_user(client, owner), assessment)
    assert "Answer every core question" in client.get(response["Location"]).content.decode()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.DRAFT


def test_edits_after_submission_are_refused_and_change_nothing(client, complete, owner):
    submit(as_user(client, owner), complete)
    complete.refresh_from_db()
    before = list(Answer.objects.filter(assessment=complete).values_list("choice_key", "note"))
    response = client.post(
        reverse("wizard", args=[complete.pk, 5]),
        {"version": complete.version, "privilege_scope": "broad", "next": "1"},
    )
    assert response.status_code == 400
    assert "locked" in response.content.decode()
    assert list(Answer.objects.filter(assessment=complete).values_list("choice_key", "note")) == (
        before
    )
    with pytest.raises(services.WorkflowError):
        services.answers_save(
            assessment=complete,
            existing={},
            submitted={"privilege_scope": ("broad", "", "")},
            user=owner,
        )
    assert client.get(reverse("wizard", args=[complete.pk, 5])).status_code == 302


def test_four_eyes_the_submitter_cannot_approve_even_as_an_approver(client, complete, owner):
    from assessor.teams.membership import member_add

    member_add(team_name="Team A", username="owner", role="approver")
    submit(as_user(client, owner), complete)
    client.post(reverse("approve", args=[complete.pk]), {"confirm": "yes"})
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.SUBMITTED
    assert not ApprovedReport.objects.exists()
    with pytest.raises(services.WorkflowError, match="Four eyes"):
        review.assessment_approve(assessment=complete, user=owner)


def test_a_second_person_approves_and_the_pdf_is_stored_once(client, complete, owner, approver):
    submit(as_user(client, owner), complete)
    as_user(client, approver).post(
        reverse("approve", args=[complete.pk]), {"comment": "Agreed.", "confirm": "yes"}
    )
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.APPROVED
    stored = ApprovedReport.objects.get(assessment=complete)
    assert hashlib.sha256(bytes(stored.content)).hexdigest() == stored.sha256
    first = client.get(reverse("report_pdf", args=[complete.pk])).content
    second = client.get(reverse("report_pdf", args=[complete.pk])).content
    assert first == second == bytes(stored.content)
    html = client.get(reverse("report", args=[complete.pk])).content.decode()
    assert 'data-decision="approved"' in html and "Agreed." in html


def test_only_approvers_approve(client, complete, owner, teammate):
    submit(as_user(client, owner), complete)
    response = as_user(client, teammate).post(
        reverse("approve", args=[complete.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 403
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.SUBMITTED


def test_returning_needs_a_comment_and_sends_it_back_for_changes(client, complete, owner, approver):
    submit(as_user(client, owner), complete)
    as_user(client, approver).post(reverse("return", args=[complete.pk]), {"comment": ""})
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.SUBMITTED
    client.post(reverse("return", args=[complete.pk]), {"comment": "Evidence link is broken."})
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.RETURNED
    assert not complete.is_locked
    assert complete.snapshot_document is None
    returned = Decision.objects.get(assessment=complete, action="returned")
    assert (returned.actor, returned.comment) == (approver, "Evidence link is broken.")


def test_decisions_appear_in_the_pdf(client, complete, owner, approver):
    from pypdf import PdfReader

    submit(as_user(client, owner), complete, "Ready")
    as_user(client, approver).post(
        reverse("approve", args=[complete.pk]), {"comment": "Signed", "confirm": "yes"}
    )
    content = client.get(reverse("report_pdf", args=[complete.pk])).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Review and sign-off" in text
    assert "Submitted for approval" in text and "Approved" in text and "Signed" in text


# --- immutable records ------------------------------------------------------------------------


def _edit_weight_in_place(questionnaire):
    """An edit of the pinned version made in the database itself, below the models' guard
    (which refuses it, see test_immutability.py): a weight and a threshold change."""
    document = copy.deepcopy(questionnaire.document)
    section = next(s for s in document["sections"] if s["key"] == "evidence")
    monitoring = next(q for q in section["questions"] if q["key"] == "monitoring")
    monitoring["choices"][0]["weights"] = {"evidence": -50.0}
    document["thresholds"]["owner"] = 99.5
    ChoiceWeight._base_manager.filter(
        choice__question__questionnaire=questionnaire,
        choice__question__key="monitoring",
        choice__key="real_time_alerting",
    ).update(points=-50)
    Questionnaire._base_manager.filter(pk=questionnaire.pk).update(
        document=document, content_hash=bank.document_hash(document)
    )


def test_a_bank_edit_after_approval_changes_neither_verdict_nor_pdf(
    client, complete, owner, approver, questionnaire
):
    submit(as_user(client, owner), complete)
    as_user(client, approver).post(reverse("approve", args=[complete.pk]), {"confirm": "yes"})
    before_pdf = client.get(reverse("report_pdf", args=[complete.pk])).content
    before_html = client.get(reverse("report", args=[complete.pk])).content.decode()
    assert 'data-verdict="owner"' in before_html

    _edit_weight_in_place(questionnaire)
    draft = make_assessment(owner, answers=SAFEST, name="Fresh draft")
    assert Assessment.objects.get(pk=draft.pk).verdict != "owner"  # the edit bites new drafts

    assert client.get(reverse("report_pdf", args=[complete.pk])).content == before_pdf
    after_html = client.get(reverse("report", args=[complete.pk])).content.decode()
    assert 'data-verdict="owner"' in after_html
    complete.refresh_from_db()
    assert complete.verdict == "owner"


def test_a_bank_edit_after_submission_does_not_change_the_submitted_report(
    client, complete, owner, questionnaire
):
    submit(as_user(client, owner), complete)
    _edit_weight_in_place(questionnaire)
    html = client.get(reverse("report", args=[complete.pk])).content.decode()
    assert 'data-verdict="owner"' in html
    assert "as frozen at submission" in html


# --- no lost updates ---------------------------------------------------------------------------


def test_a_stale_save_is_refused_with_what_changed(client, owner, teammate, questionnaire):
    assessment = make_assessment(owner)
    url = reverse("wizard", args=[assessment.pk, 5])
    opened_at = Assessment.objects.get(pk=assessment.pk).version
    # the teammate saves first, from the same version
    as_user(client, teammate).post(
        url, {"version": opened_at, "privilege_scope": "broad", "identities_affected": "one"}
    )
    # the owner's form, opened at the same version, is now stale
    response = as_user(client, owner).post(
        url, {"version": opened_at, "privilege_scope": "narrow", "identities_affected": "one"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this assessment" in html
    assert "saved by teammate" in html
    assert "Broad (administrative roles or many entitlements)" in html  # theirs
    assert "Narrow (one low-value entitlement or secret)" in html  # yours, not saved
    assert Answer.objects.get(assessment=assessment, question_key="privilege_scope").choice_key == (
        "broad"
    )
    # the page now carries the current version, so saving again works
    current = Assessment.objects.get(pk=assessment.pk).version
    assert f'name="version" value="{current}"' in html
    client.post(url, {"version": current, "privilege_scope": "narrow", "next": "1"})
    assert Answer.objects.get(assessment=assessment, question_key="privilege_scope").choice_key == (
        "narrow"
    )


def test_the_version_check_and_increment_is_one_atomic_update(owner, questionnaire):
    assessment = make_assessment(owner)
    a = Assessment.objects.get(pk=assessment.pk)
    b = Assessment.objects.get(pk=assessment.pk)
    yes, no = {"kill_switch": ("yes", "", "")}, {"kill_switch": ("no", "", "")}
    services.answers_save(assessment=a, existing={}, submitted=yes, user=owner)
    with pytest.raises(services.StaleVersion):
        services.answers_save(assessment=b, existing={}, submitted=no, user=owner)
    assert Answer.objects.get(assessment=assessment, question_key="kill_switch").choice_key == "yes"
    assert Assessment.objects.get(pk=assessment.pk).version == b.version + 1


# --- audit trail -------------------------------------------------------------------------------


def test_history_records_answer_note_link_and_status_changes_with_who(
    client, owner, approver, questionnaire
):
    assessment = make_assessment(owner, answers=SAFEST)
    as_user(client, owner)
    version = Assessment.objects.get(pk=assessment.pk).version
    client.post(
        reverse("wizard", args=[assessment.pk, 8]),
        {
            "version": version,
            "evidence_capture": "end_to_end",
            "monitoring": "periodic_review",
            "monitoring-note": "Weekly",
            "monitoring-evidence": "https://wiki.example.com/m",
            "next": "1",
        },
    )
    row = Answer.history.filter(question_key="monitoring").latest("history_date")
    assert (row.history_user, row.choice_key, row.note) == (owner, "periodic_review", "Weekly")
    assert row.prev_record.choice_key == "real_time_alerting"
    submit(client, assessment)
    statuses = list(
        Assessment.history.filter(id=assessment.pk)
        .order_by("history_date")
        .values_list("status", flat=True)
    )
    assert statuses[-1] == "submitted" and "draft" in statuses
    html = client.get(reverse("history", args=[assessment.pk])).content.decode()
    assert "Changed the answer to “How is the agent&#x27;s activity monitored?”" in html or (
        "Changed the answer to" in html
    )
    assert "Real-time alerting" in html and "Periodic review of logs" in html
    assert "Set the note on" in html and "Weekly" in html
    assert "Submitted for approval" in html


def test_exports_are_recorded(client, complete, owner):
    as_user(client, owner)
    client.get(reverse("export_json", args=[complete.pk]))
    client.get(reverse("report_pdf", args=[complete.pk]))
    kinds = sorted(ExportRecord.objects.filter(assessment=complete).values_list("kind", flat=True))
    assert kinds == ["json", "pdf"]
    assert all(r.user == owner and len(r.sha256) == 64 for r in ExportRecord.objects.all())
    assert (
        "Exported: JSON export"
        in client.get(reverse("history", args=[complete.pk])).content.decode()
    )


def test_queryset_update_does_not_escape_the_trail(complete, owner):
    before = Answer.history.filter(assessment_id=complete.pk).count()
    Answer.objects.filter(assessment=complete, question_key="kill_switch").update(choice_key="no")
    rows = Answer.history.filter(assessment_id=complete.pk)
    assert rows.count() == before + 1
    assert rows.latest("history_date").choice_key == "no"


def test_bulk_upserts_that_would_escape_the_trail_are_refused(complete):
    with pytest.raises(TypeError, match="audit trail"):
        Answer.objects.bulk_create(
            [Answer(assessment=complete, question_key="kill_switch", choice_key="no")],
            update_conflicts=True,
            unique_fields=["assessment", "question_key"],
            update_fields=["choice_key"],
        )


def test_admin_edits_of_the_bank_are_in_the_history(admin_client, questionnaire):
    from assessor.bank.loading import questionnaire_clone

    draft = questionnaire_clone(questionnaire, version="2026.1-edit")
    weight = ChoiceWeight.objects.filter(
        choice__question__questionnaire=draft, choice__question__key="kill_switch"
    ).first()
    url = reverse("admin:assessor_choiceweight_change", args=[weight.pk])
    response = admin_client.post(
        url, {"choice": weight.choice_id, "dimension": weight.dimension_id, "points": "1.50"}
    )
    assert response.status_code == 302
    latest = ChoiceWeight.history.filter(id=weight.pk).latest("history_date")
    assert str(latest.points) == "1.50"
    assert latest.history_user.username == "admin"
    assert latest.prev_record.points == 2
    listing = admin_client.get(reverse("admin:assessor_historicalchoiceweight_changelist"))
    assert listing.status_code == 200
    assert "kill_switch=yes" in listing.content.decode()


# --- reassessment --------------------------------------------------------------------------------


def test_reassess_creates_a_linked_prefilled_draft_on_the_current_version(
    client, complete, owner, approver, document
):
    submit(as_user(client, owner), complete)
    as_user(client, approver).post(reverse("approve", args=[complete.pk]), {"confirm": "yes"})
    raw = copy.deepcopy(bank.read_yaml(bank.DEFAULT_BANK))
    raw["version"] = "2026.3"
    newer = questionnaire_load(document=bank.parse_bank(raw), publish=True).questionnaire
    response = as_user(client, owner).post(reverse("reassess", args=[complete.pk]))
    revision = Assessment.objects.get(previous=complete)
    assert response["Location"] == reverse("wizard", args=[revision.pk, 1])
    assert revision.status == Assessment.Status.DRAFT
    assert revision.revision == 2 and revision.questionnaire == newer
    assert selectors.choices_of(selectors.answers_of(revision)) == SAFEST
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.APPROVED  # the old record is untouched


def test_a_draft_cannot_be_reassessed(client, complete, owner):
    as_user(client, owner).post(reverse("reassess", args=[complete.pk]))
    assert not Assessment.objects.filter(previous=complete).exists()


def test_compare_shows_changed_answers_and_the_verdict_change(client, complete, owner):
    submit(as_user(client, owner), complete)
    client.post(reverse("reassess", args=[complete.pk]))
    revision = Assessment.objects.get(previous=complete)
    services.answers_save(
        assessment=revision,
        existing=selectors.answers_of(revision),
        submitted={"approval_chain": ("unclear", "", "")},
        user=owner,
    )
    html = client.get(reverse("compare", args=[revision.pk, complete.pk])).content.decode()
    assert 'data-verdict-changed="true"' in html
    assert 'data-question="approval_chain"' in html
    assert "Codified in the system (routing rules or policy)" in html
    assert "Unclear, or it depends on who you ask" in html
    assert html.count("data-question=") == 1


# --- onboarding ---------------------------------------------------------------------------------


def test_add_member_creates_team_and_user_once_and_is_idempotent():
    out = io.StringIO()
    call_command("add_member", "IAM security", "dana", "--role", "approver", stdout=out)
    assert "Password for dana, shown only now:" in out.getvalue()
    dana = Team.objects.get(name="IAM security").members.get(username="dana")
    team = Team.objects.get(name="IAM security")
    assert access.may(dana, team, access.APPROVE)
    assert not access.may(dana, team, access.EDIT)
    assert "granted the Approver role in 'IAM security'" in out.getvalue()
    again = io.StringIO()
    call_command("add_member", "IAM security", "dana", "--role", "approver", stdout=again)
    assert "nothing changed" in again.getvalue()
    assert "Password" not in again.getvalue()
    call_command("add_member", "IAM security", "dana", "--role", "admin", stdout=io.StringIO())
    dana.refresh_from_db()
    assert dana.is_staff


def test_add_member_refuses_an_unknown_role():
    with pytest.raises(CommandError):
        call_command("add_member", "T", "u", "--role", "overlord")
    assert not Team.objects.exists()


# --- records pinned to questionnaire 2026.1 --------------------------------------------------


@pytest.fixture
def legacy_version(db):
    """Questionnaire 2026.1 as an installation stored it before 2026.2 (no engine flags)."""
    document = bank.load_bank_file(bank.BANK_DIR / "2026.1.yaml")
    del document["binding_conditions"], document["follow_ups_assumed_riskiest"]
    return questionnaire_load(document=document, publish=True).questionnaire


def _legacy_answers():
    legacy = bank.load_bank_file(bank.BANK_DIR / "2026.1.yaml")
    answers = {q["key"]: q["choices"][0]["key"] for s in legacy["sections"] for q in s["questions"]}
    return {**answers, "credential_lifetime": "short_lived"}  # a condition 2026.1 let pass


def test_a_record_signed_off_under_2026_1_keeps_its_verdict_and_reassesses_onto_the_current(
    client, owner, approver, legacy_version
):
    record = make_assessment(owner, answers=_legacy_answers())
    # The draft is bound by the conditions now: no draft reaches ownership with one unmet.
    assert record.verdict == "supervised"
    # A record approved before the upgrade: its snapshot carries the bank as it was signed
    # (set below the models' guard, which moves a status only through the review workflow).
    Assessment._base_manager.filter(pk=record.pk).update(
        status=Assessment.Status.APPROVED, snapshot_document=legacy_version.document
    )
    html = as_user(client, approver).get(reverse("report", args=[record.pk])).content.decode()
    assert 'data-verdict="owner"' in html

    call_command("load_questionnaire", stdout=io.StringIO())  # publishes the shipped 2026.3
    legacy_version.refresh_from_db()
    assert legacy_version.status == Questionnaire.Status.RETIRED
    response = as_user(client, owner).post(reverse("reassess", args=[record.pk]))
    revision = Assessment.objects.get(previous=record)
    assert response.status_code == 302
    assert revision.questionnaire.version == "2026.3"
    result = selectors.evaluate(revision, selectors.choices_of(selectors.answers_of(revision)))
    assert set(result.missing) == {"business_impact", "self_approval"}
    assert revision.verdict == "" and not revision.is_complete
    html = as_user(client, approver).get(reverse("report", args=[record.pk])).content.decode()
    assert 'data-verdict="owner"' in html  # the signed record did not change
