"""A grant is issued with an approval above copilot, for the record's agent, and revoked when
an approver withdraws it, a re-review starts, the approval lapses or a newer revision is
approved. Once issued it does not change but for its revocation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessor.grants.models import AutonomyGrant
from assessor.grants.services import grant_revoke
from assessor.models import Event
from assessor.oversight import services as oversight
from assessor.oversight.cycle import review_by_date, review_cycle_sweep
from assessor.records import services as records
from assessor.records.services import WorkflowError
from assessor.register.services import assessment_agent_set
from assessor.review import services as review
from tests.builders import AT_VERDICT, make_agent, make_assessment, make_granted, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(stub_pdf, questionnaire, owner, approver):
    return make_granted(owner, approver, conditions="Only the payments vault.")


def test_an_owner_approval_with_an_agent_issues_a_grant_until_the_review_by_date(granted):
    grant = AutonomyGrant.objects.get(assessment=granted)
    claims = grant.claims
    assert grant.status == "active" and grant.verdict == "owner"
    assert claims["grant"]["verdict"] == "owner"
    assert claims["grant"]["conditions"] == "Only the payments vault."
    assert claims["grant"]["agent"]["id"] == granted.agent_id
    assert claims["grant"]["workflow"]["task_type"] == "secret_rotation"
    assert claims["grant"]["report_sha256"] == granted.approved_report.sha256
    assert claims["grant"]["identities"][0]["kind"] == "workload_identity"
    review_by = review_by_date(grant.valid_from, granted.team)
    assert timezone.localdate(grant.valid_until - timedelta(seconds=1)) == review_by
    assert Event.objects.filter(type="grant.issued").count() == 1


def test_a_supervised_approval_issues_a_supervised_grant(stub_pdf, questionnaire, owner, approver):
    record = make_granted(owner, approver, verdict="supervised")
    assert AutonomyGrant.objects.get(assessment=record).verdict == "supervised"


def test_copilot_gets_no_grant_and_refuses_conditions(stub_pdf, questionnaire, owner, approver):
    agent = make_agent(owner)
    with pytest.raises(WorkflowError, match="put them in the comment"):
        make_granted(owner, approver, verdict="copilot", agent=agent, conditions="Weekdays.")
    record = make_granted(owner, approver, verdict="copilot", agent=agent)
    assert record.status == "approved"
    assert not AutonomyGrant.objects.exists()


def test_without_an_agent_the_report_says_to_attach_one(
    stub_pdf, questionnaire, owner, approver, client
):
    record = make_assessment(owner, answers=AT_VERDICT["owner"])
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)
    assert not AutonomyGrant.objects.exists()
    client.force_login(owner)
    page = client.get(reverse("report", args=[record.pk])).content.decode()
    assert "attach an agent to issue a grant" in page


def test_the_report_links_the_grant_and_its_token(granted, client, owner):
    client.force_login(owner)
    page = client.get(reverse("report", args=[granted.pk])).content.decode()
    assert "Autonomy grant: issued, valid until" in page
    token = client.get(reverse("grant", args=[granted.pk]), {"download": "jwt"})
    assert token["Content-Disposition"].startswith("attachment")
    assert token.content.decode() == AutonomyGrant.objects.get().token


def test_an_issued_grant_does_not_change(granted):
    grant = AutonomyGrant.objects.get()
    grant.verdict = "supervised"
    with pytest.raises(ValidationError, match="does not change"):
        grant.save()
    with pytest.raises(ValidationError, match="does not change"):
        AutonomyGrant.objects.update(valid_until=timezone.now() + timedelta(days=999))
    with pytest.raises(ValidationError, match="never deleted"):
        AutonomyGrant.objects.all().delete()
    assert AutonomyGrant.objects.get().verdict == "owner"


def test_an_approver_withdraws_it_with_a_reason(granted, client, approver):
    client.force_login(approver)
    url = reverse("grant_revoke", args=[granted.pk])
    client.post(url, {"reason": ""})
    assert AutonomyGrant.objects.get().status == "active"  # no reason, nothing changed
    client.post(url, {"reason": "Vault moved to a new cluster."})
    grant = AutonomyGrant.objects.get()
    assert grant.status == "revoked" and grant.revoked_by == approver
    assert "Vault moved" in grant.revoke_reason
    assert Event.objects.filter(type="grant.revoked").count() == 1
    page = client.get(reverse("grant", args=[granted.pk])).content.decode()
    assert 'data-grant-state="revoked"' in page
    with pytest.raises(ValidationError, match="stays revoked"):
        grant.revoke_reason = "again"
        grant.save()


def test_a_reviewer_cannot_withdraw_it(granted, client, owner):
    client.force_login(owner)
    response = client.post(reverse("grant_revoke", args=[granted.pk]), {"reason": "Because."})
    assert response.status_code == 403
    assert AutonomyGrant.objects.get().status == "active"


def test_another_teams_approver_gets_404(granted, client, outsider):
    client.force_login(outsider)
    response = client.post(reverse("grant_revoke", args=[granted.pk]), {"reason": "Because."})
    assert response.status_code == 404
    assert AutonomyGrant.objects.get().status == "active"


def test_a_rereview_request_revokes_it(granted, approver):
    oversight.review_request(assessment=granted, reason="New vault policy.", user=approver)
    grant = AutonomyGrant.objects.get()
    assert grant.status == "revoked" and "New vault policy." in grant.revoke_reason


def test_a_reassessment_revokes_it_and_the_new_approval_issues_the_next(granted, owner):
    teammate = make_user("teammate")
    revision = records.assessment_reassess(assessment=granted, user=teammate)
    assert AutonomyGrant.objects.get().status == "revoked"
    review.assessment_submit(assessment=revision, user=teammate)
    second_approver = make_user("approver2", roles=("approver",))
    review.assessment_approve(assessment=revision, user=second_approver)
    current = AutonomyGrant.objects.get(status="active")
    assert current.assessment_id == revision.pk
    # the same workflow key: a runtime's policy names the workflow, not the revision
    first = AutonomyGrant.objects.get(assessment=granted)
    assert current.claims["grant"]["workflow"]["key"] == first.claims["grant"]["workflow"]["key"]


def test_the_sweep_revokes_it_when_the_approval_lapses(granted, settings):
    grant = AutonomyGrant.objects.get()
    later = grant.valid_until + timedelta(days=settings.ASSESSOR_REVIEW_GRACE_DAYS + 2)
    review_cycle_sweep(now=later)
    grant.refresh_from_db()
    assert grant.status == "revoked" and "lapsed" in grant.revoke_reason


def test_an_agent_attached_after_approval_gets_its_grant_from_an_approver(
    stub_pdf, questionnaire, owner, approver, client
):
    record = make_assessment(owner, answers=AT_VERDICT["owner"])
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)
    assessment_agent_set(user=owner, assessment=record, agent=make_agent(owner))
    url = reverse("grant_issue", args=[record.pk])
    client.force_login(owner)
    assert client.post(url).status_code == 403  # a reviewer may not
    client.force_login(approver)
    client.post(url, {"conditions": "Night window only."})
    grant = AutonomyGrant.objects.get()
    assert grant.conditions == "Night window only."
    assert timezone.localdate(grant.valid_until - timedelta(seconds=1)) == (
        record.review_cycle.review_by
    )
    # once withdrawn, it is not issued again on the same approval
    grant_revoke(assessment=record, user=approver, reason="Agent misbehaved.")
    client.post(url)
    assert AutonomyGrant.objects.count() == 1
