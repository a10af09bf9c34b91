"""Small builders for tests: users, assessments and answers in a known state."""

import re

from django.contrib.auth import get_user_model

from assessor import access, services
from assessor.examples import SAFEST as EXAMPLE_SAFEST
from assessor.membership import member_add

# Every question asked at its safest choice (the shipped examples' answers): the follow-up
# that policy as code shows is answered too, since left out it would count at its riskiest.
SAFEST = dict(EXAMPLE_SAFEST)
CORE_SAFEST = {key: choice for key, choice in SAFEST.items() if key != "policy_evaluation"}

# A lower-trust workflow with several middling answers and no fatal flaw: every condition for
# ownership it misses caps at supervised, and the score takes it to copilot.
LOWER_TRUST = {
    "task_type": "provisioning",
    "environment_tier": "production",
    "task_pattern": "mostly_routine",
    "business_impact": "internal_disruption",
    "self_approval": "no_enforced",
    "trigger_defined": "documented",
    "completion_criteria": "documented",
    "data_quality": "mostly_reliable",
    "input_sources": "mixed",
    "approval_chain": "documented_manual",
    "informal_overrides": "rare_logged",
    "privilege_scope": "moderate",
    "identities_affected": "tens",
    "reversibility": "manual_rollback",
    "tool_chaining": "two_systems",
    "agent_identity": "shared_service_account",
    "credential_lifetime": "short_lived",
    "credential_scope": "role_scoped",
    "revocation": "automatic_at_task_end",
    "runtime_policy": "policy_as_code",
    "evidence_capture": "end_to_end",
    "monitoring": "periodic_review",
    "kill_switch": "yes",
    "shared_accounts": "managed",
    "legacy_iam": "some_legacy",
}


PASSWORD = "correct horse battery staple"


def make_user(
    username="reviewer", *, team="Team A", roles=("reviewer",), password=PASSWORD, email=""
):
    """A user with a known password, in `team` with `roles` (none: a user in no team)."""
    user = get_user_model().objects.create_user(username=username, password=password, email=email)
    for role in roles:
        member_add(team_name=team, username=username, role=role)
    return user


def make_assessment(owner, *, answers=None, notes=None, links=None, name="Secret rotation"):
    assessment = services.assessment_create(
        owner=owner,
        team=access.teams_for(owner, access.CREATE).order_by("pk").first(),  # a team they review
        name=name,
        system="Vault",
    )
    if answers:
        notes, links = notes or {}, links or {}
        submitted = {k: (v, notes.get(k, ""), links.get(k, "")) for k, v in answers.items()}
        services.answers_save(assessment=assessment, existing={}, submitted=submitted)
    assessment.refresh_from_db()
    return assessment


def changelist_data(formset, field: str, value=None) -> dict[str, str]:
    """POST data for an admin changelist's list-editable rows: every row of `formset` with
    `field` at `value`, or at its current value when `value` is None."""
    data = {
        "form-TOTAL_FORMS": str(len(formset.forms)),
        "form-INITIAL_FORMS": str(len(formset.forms)),
        "_save": "Save",
    }
    for n, form in enumerate(formset.forms):
        current = getattr(form.instance, field) if value is None else value
        data[f"form-{n}-id"] = str(form.instance.pk)
        data[f"form-{n}-{field}"] = str(current)
    return data


class SmtpInbox:
    """What a real SMTP server (aiosmtpd, on a loopback port) received: see `smtp_server` in
    tests/conftest.py. Each message keeps its envelope recipients and its parsed content."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        message.text = message.get_body(("plain",)).get_content()
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def without_csrf_token(content: bytes) -> bytes:
    """A page without its forms' CSRF tokens, which Django masks afresh on every response
    (the styled 404's Sign out form has one): for comparing two pages that must be alike."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def make_token(user, *, name="script", expires_days=90) -> str:
    """A personal access token of `user`: the secret, as a client sends it."""
    from assessor import tokens

    return tokens.token_create(user=user, name=name, expires_days=expires_days)[1]


def api_client(user=None, *, token=None):
    """A DRF test client sending `Authorization: Bearer <token>` (a new token of `user`)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token or make_token(user)}")
    return client
