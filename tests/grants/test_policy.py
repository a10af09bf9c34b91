"""policy/autonomy.rego, evaluated by a real Rego engine (regopy), against the bundle the app
serves at /api/v1/grants/bundle: bounded ownership allows the agent now, as the identity the
grant names, on its workflow; supervised asks for approval; past the review-by date, after a
revocation, as another identity or without a grant (copilot), it refuses."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
import regopy
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assessor.grants.models import AutonomyGrant
from assessor.grants.services import grant_revoke
from tests.builders import api_client, make_agent, make_granted

pytestmark = pytest.mark.django_db

POLICY = (Path(settings.BASE_DIR) / "policy" / "autonomy.rego").read_text()


def decide(bundle: dict, **query) -> dict:
    interpreter = regopy.Interpreter()
    interpreter.add_module("autonomy", POLICY)
    interpreter.add_data_json(json.dumps(bundle))
    interpreter.set_input_term(json.dumps(query))
    output = interpreter.query("data.autonomy.decision")
    assert output.ok(), str(output)
    return json.loads(str(output))["expressions"][0]


@pytest.fixture
def records(stub_pdf, questionnaire, owner, approver):
    owned = make_granted(owner, approver, verdict="owner")
    supervised = make_granted(
        owner, approver, verdict="supervised", agent=make_agent(owner, name="Triage agent")
    )
    copilot = make_granted(
        owner, approver, verdict="copilot", agent=make_agent(owner, name="Drafting agent")
    )
    return owned, supervised, copilot


def served(user) -> dict:
    response = api_client(user).get(reverse("api-grant-bundle"))
    assert response.status_code == 200
    return response.json()


def ask(record, *, identity=None, now=None) -> dict:
    identity = identity or record.agent.identities.get().pk
    return {
        "agent": str(record.agent_id),
        "identity": str(identity),
        "workflow": str(record.pk),
        "now": int((now or timezone.now()).timestamp()),
    }


def test_bounded_ownership_allows_the_agent_now(records, owner):
    owned, _, _ = records
    answer = decide(served(owner), **ask(owned))
    assert answer == {"result": "allow", "reason": "a current bounded-ownership grant"}


def test_supervised_allows_only_with_approval(records, owner):
    _, supervised, _ = records
    assert decide(served(owner), **ask(supervised))["result"] == "with_approval"


def test_after_the_review_by_date_it_refuses(records, owner):
    owned, _, _ = records
    grant = AutonomyGrant.objects.get(assessment=owned)
    answer = decide(served(owner), **ask(owned, now=grant.valid_until + timedelta(seconds=1)))
    assert answer["result"] == "deny" and "review-by date" in answer["reason"]


def test_after_a_revocation_it_refuses(records, owner, approver):
    owned, _, _ = records
    before = served(owner)
    grant_revoke(assessment=owned, user=approver, reason="Incident in the vault.")
    after = served(owner)
    assert decide(after, **ask(owned))["result"] == "deny"
    assert str(AutonomyGrant.objects.get(assessment=owned).jti) in after["revoked"]
    # a runtime holding yesterday's grants but today's revocation list refuses too
    stale = {**before, "revoked": after["revoked"]}
    assert decide(stale, **ask(owned)) == {"result": "deny", "reason": "the grant was revoked"}


def test_as_another_identity_it_refuses(records, owner):
    owned, supervised, _ = records
    stranger = supervised.agent.identities.get().pk  # another agent's identity
    answer = decide(served(owner), **ask(owned, identity=stranger))
    assert answer == {"result": "deny", "reason": "the grant does not name this identity"}


def test_copilot_or_no_grant_refuses(records, owner):
    owned, _, copilot = records
    bundle = served(owner)
    assert decide(bundle, **ask(copilot))["result"] == "deny"
    other_workflow = {**ask(owned), "workflow": str(copilot.pk)}
    assert decide(bundle, **other_workflow)["result"] == "deny"


def test_the_bundle_holds_only_the_token_holders_teams(records, outsider):
    assert served(outsider)["grants"] == {}
    assert api_client(None, token="nope").get(reverse("api-grant-bundle")).status_code == 401
