"""The agents the seeded examples are attached to, so a newcomer sees the register populated."""

from __future__ import annotations

from .models import Agent, AgentIdentity
from .services import agent_create, identity_create

AGENTS = {
    "Secrets rotation agent": {
        "purpose": (
            "Rotates service credentials in the staging vault on a schedule and records each "
            "rotation in the ticket that asked for it. Example seeded by seed_examples."
        ),
        "platform": "In-house (Kubernetes)",
        "status": Agent.Status.ACTIVE,
        "identities": [
            {
                "kind": AgentIdentity.Kind.WORKLOAD_IDENTITY,
                "system": "Secrets vault (staging)",
                "credential_type": AgentIdentity.CredentialType.SHORT_LIVED_TOKEN,
                "credential_lifetime": AgentIdentity.Lifetime.EPHEMERAL,
                "notes": "Federated from the cluster's service account; one token per run.",
            }
        ],
    },
    "Access desk agent": {
        "purpose": (
            "Triages access requests and leaver tickets, drafts the changes and carries them "
            "out once a person approves. Example seeded by seed_examples."
        ),
        "platform": "Service desk AI add-on",
        "status": Agent.Status.PROPOSED,
        "identities": [
            {
                "kind": AgentIdentity.Kind.API_CLIENT,
                "system": "Identity provider",
                "credential_type": AgentIdentity.CredentialType.OAUTH_CLIENT_CREDENTIALS,
                "credential_lifetime": AgentIdentity.Lifetime.DAYS_90,
                "notes": "Client secret rotated quarterly by the identity team.",
            },
            {
                "kind": AgentIdentity.Kind.SERVICE_ACCOUNT,
                "system": "Ticketing",
                "credential_type": AgentIdentity.CredentialType.API_KEY,
                "credential_lifetime": AgentIdentity.Lifetime.NO_EXPIRY,
                "notes": "",
            },
        ],
    },
}
# Which example workflow each agent runs (by the example's name).
RUNS = {
    "Non-production secret rotation": "Secrets rotation agent",
    "SaaS access approval": "Access desk agent",
    "Leaver deprovisioning": "Access desk agent",
}


def example_agents_create(*, owner, team) -> dict[str, Agent]:
    """The examples' agents in `team` (those of the same name already there are reused)."""
    agents = {}
    for name, spec in AGENTS.items():
        existing = Agent.objects.filter(team=team, name=name).first()
        if existing is not None:
            agents[name] = existing
            continue
        fields = {k: v for k, v in spec.items() if k != "identities"}
        agent = agent_create(user=owner, team=team, name=name, owner=owner, **fields)
        for identity in spec["identities"]:
            identity_create(user=owner, agent=agent, **identity)
        agents[name] = agent
    return agents
