"""/api/v1/grants/: the grants of the token holder's teams, one grant, in the schema; the
public revocation list names revoked grants by jti and time only."""

import pytest
from django.urls import reverse

from assessor.grants.models import AutonomyGrant
from assessor.grants.services import grant_revoke
from assessor.register.services import assessment_agent_set
from assessor.review import services as review
from tests.builders import AT_VERDICT, api_client, make_agent, make_assessment, make_granted

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(stub_pdf, questionnaire, owner, approver):
    make_granted(owner, approver)
    return AutonomyGrant.objects.get()


def test_a_team_member_lists_and_reads_the_grant(grant, owner):
    api = api_client(owner)
    listed = api.get(reverse("api-grants")).json()
    assert [row["jti"] for row in listed["results"]] == [str(grant.jti)]
    one = api.get(reverse("api-grant", args=[grant.pk])).json()
    assert one["token"] == grant.token and one["verdict"] == "owner"
    assert one["claims"]["grant"]["workflow"]["assessment_id"] == grant.assessment_id


def test_another_team_sees_no_grant(grant, outsider):
    api = api_client(outsider)
    assert api.get(reverse("api-grants")).json()["results"] == []
    assert api.get(reverse("api-grant", args=[grant.pk])).status_code == 404


def test_the_schema_describes_the_grants_endpoints(owner):
    schema = api_client(owner).get(reverse("api-schema"), {"format": "json"}).content.decode()
    for path in ("/api/v1/grants/", "/api/v1/grants/verify", "/api/v1/grants/bundle"):
        assert path in schema


def test_the_revocation_list_is_public_and_says_only_jti_and_time(grant, approver, client):
    url = reverse("grants_revoked")
    assert client.get(url).json()["revoked"] == []
    grant_revoke(assessment=grant.assessment, user=approver, reason="Secret reason.")
    body = client.get(url)
    assert body.status_code == 200
    (entry,) = body.json()["revoked"]
    assert entry["jti"] == str(grant.jti) and set(entry) == {"jti", "revoked_at", "exp"}
    assert "Secret reason" not in body.content.decode()


def test_approving_through_the_api_carries_conditions(stub_pdf, questionnaire, owner, approver):
    record = make_assessment(owner, answers=AT_VERDICT["owner"])
    assessment_agent_set(user=owner, assessment=record, agent=make_agent(owner))
    review.assessment_submit(assessment=record, user=owner)
    response = api_client(approver).post(
        reverse("api-approve", args=[record.pk]),
        {"comment": "ok", "conditions": "Business hours only."},
        format="json",
    )
    assert response.status_code == 200
    assert AutonomyGrant.objects.get().conditions == "Business hours only."
