"""A record's hash chain finds the changes made around the models (raw SQL, as a hand edit of
the database or a restored backup would make them): `manage.py verify_records` and the
auditor's page `/audit/records/` (assessor/records/chain.py)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from assessor.models import Answer, ApprovedReport, Assessment, Decision, RecordLink
from assessor.records import chain as record_chain
from assessor.records import services
from assessor.review import services as review
from assessor.teams.membership import member_add
from tests.builders import SAFEST, make_assessment, make_reviewed, make_user

pytestmark = pytest.mark.django_db

SEALING_MIGRATION = ("assessor", "0012_record_chain")


@pytest.fixture
def approved(owner, approver, questionnaire, stub_pdf):
    """Team A's record, submitted, returned, changed, resubmitted and approved (its stored PDF
    a stub: these tests change and check the stored bytes, never read them as a PDF)."""
    return make_reviewed(owner, approver)


@pytest.fixture
def submitted(owner, questionnaire):
    record = make_assessment(owner, answers=SAFEST, name="Secret rotation")
    review.assessment_submit(assessment=record, user=owner)
    record.refresh_from_db()
    return record


def verify() -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `manage.py verify_records`."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_records", stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def sql(model, statement: str, *params) -> None:
    """Raw SQL on `model`'s table (`{table}` in the statement): around the models, as a hand
    edit of the database or a restored backup would be."""
    quoted = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(statement.format(table=quoted), params)


# --- the chain: the review loop verifies clean ----------------------------------------------


def test_the_review_loop_chains_each_decision_and_verifies_clean(approved, owner):
    links = list(RecordLink.objects.filter(assessment=approved))
    assert [link.kind for link in links] == ["submitted", "returned", "submitted", "approved"]
    assert links[0].previous == "" and all(
        later.previous == earlier.digest for earlier, later in zip(links, links[1:], strict=False)
    )
    assert links[-1].payload["pdf"] == ApprovedReport.objects.get(assessment=approved).sha256
    revision = services.assessment_reassess(assessment=approved, user=owner)
    review.assessment_submit(assessment=revision, user=owner)
    status, out, err = verify()
    assert (status, err) == (0, "")
    assert out == "All 2 chained records match their hash chain.\n"


def test_no_record_reviewed_yet_verifies_clean(owner, questionnaire):
    make_assessment(owner, answers=SAFEST)
    assert verify() == (0, "All 0 chained records match their hash chain.\n", "")


# --- the chain finds a change made with raw SQL -----------------------------------------------


def plant_answer(record):
    answer = Answer.objects.get(assessment=record, question_key="kill_switch")
    sql(Answer, "UPDATE {table} SET choice_key = %s WHERE id = %s", "no", answer.pk)


def plant_status(record):
    sql(Assessment, "UPDATE {table} SET status = %s WHERE id = %s", "draft", record.pk)


def plant_pdf_hash(record):
    sql(
        ApprovedReport,
        "UPDATE {table} SET sha256 = %s WHERE assessment_id = %s",
        "0" * 64,
        record.pk,
    )


def plant_deleted_decision(record):
    decision = Decision.objects.filter(assessment=record, action="returned").get()
    sql(Decision, "DELETE FROM {table} WHERE id = %s", decision.pk)


PLANTED = {
    "an answer": (plant_answer, "answers"),
    "the status": (plant_status, "status"),
    "the stored PDF's hash": (plant_pdf_hash, "stored PDF"),
    "a deleted decision": (plant_deleted_decision, "history"),
}


@pytest.mark.parametrize("planted", PLANTED)
def test_a_change_planted_with_raw_sql_is_found_by_the_command_and_the_page(
    approved, auditor, client, planted
):
    plant, what = PLANTED[planted]
    plant(approved)
    status, out, err = verify()
    assert status == 1
    assert f"Record {approved.pk} 'Leaver deprovisioning': {what}" in err
    assert "1 of 1 chained records no longer match their hash chain." in err
    client.force_login(auditor)
    html = client.get(reverse("audit_records")).content.decode()
    assert f'data-record="{approved.pk}" data-intact="false"' in html
    assert f"{what[0].upper()}{what[1:]} no longer match the chain" in html
    assert "1 of 1 reviewed records no longer match their hash chain." in html


def test_each_mismatch_is_named(approved):
    plant_answer(approved)
    plant_pdf_hash(approved)
    _, _, err = verify()
    assert "answers, stored PDF no longer match the chain" in err


def test_rewritten_pdf_bytes_are_found_though_the_recorded_hash_stands(approved):
    sql(
        ApprovedReport,
        "UPDATE {table} SET content = %s WHERE assessment_id = %s",
        b"%PDF-x",
        approved.pk,
    )
    status, _, err = verify()
    assert status == 1 and "stored PDF no longer match" in err


def test_a_rewritten_link_breaks_the_chain(approved):
    link = RecordLink.objects.filter(assessment=approved).order_by("position").first()
    sql(
        RecordLink,
        "UPDATE {table} SET kind = %s, digest = %s WHERE id = %s",
        "x",
        "0" * 64,
        link.pk,
    )
    _, _, err = verify()
    assert "history no longer match" in err and "link 2 does not follow" in err


# --- records without a chain ------------------------------------------------------------------


def test_a_record_reviewed_before_the_chain_is_reported_as_no_chain_yet_then_sealed(approved):
    sql(RecordLink, "DELETE FROM {table} WHERE assessment_id = %s", approved.pk)
    status, out, _ = verify()
    assert status == 0
    assert f"Record {approved.pk} 'Leaver deprovisioning': no chain yet" in out
    assert out.endswith("All 0 chained records match their hash chain, 1 with no chain yet.\n")
    # What the migration that created the chain does for such records, with its models.
    migration_apps = MigrationLoader(connection).project_state(SEALING_MIGRATION).apps
    assert record_chain.chain_seal(migration_apps) == 1
    assert [link.kind for link in RecordLink.objects.filter(assessment=approved)] == ["sealed"]
    assert verify() == (0, "All 1 chained records match their hash chain.\n", "")
    plant_answer(approved)
    assert verify()[0] == 1


def test_a_record_whose_links_alone_were_deleted_is_not_taken_for_an_old_one(approved, submitted):
    sql(RecordLink, "DELETE FROM {table} WHERE assessment_id = %s", submitted.pk)
    status, _, err = verify()
    assert status == 1
    assert f"Record {submitted.pk} 'Secret rotation': history" in err


# --- the auditor's page -----------------------------------------------------------------------


def test_an_auditor_in_one_team_and_reviewer_in_another_sees_only_the_first(
    client, approved, outsider
):
    carol = make_user("carol", roles=("auditor",))  # auditor in Team A
    member_add(team_name="Team B", username="carol", role="reviewer")
    theirs = make_assessment(outsider, answers=SAFEST, name="Team B record")
    review.assessment_submit(assessment=theirs, user=outsider)
    client.force_login(carol)
    response = client.get(reverse("audit_records"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-record="{approved.pk}" data-intact="true"' in html
    assert "Leaver deprovisioning" in html
    assert f'data-record="{theirs.pk}"' not in html and "Team B record" not in html
    assert "1 reviewed record: every one matches its hash chain" in html


@pytest.mark.parametrize("who", ["owner", "approver", "outsider"])
def test_people_who_audit_no_team_are_refused(client, approved, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("audit_records"))
    assert response.status_code == 403
    assert "Leaver deprovisioning" not in response.content.decode()


def test_anonymous_users_are_sent_to_sign_in(client, approved):
    response = client.get(reverse("audit_records"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
