"""The register's rows: an agent per team and the non-human identities it acts as.

Imported by `assessor.models`, so Django sees them in the one app. Which workflows an agent
runs is `Assessment.agent` (register metadata the record lock permits, see locked_records).
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from assessor.records.validators import xml_text


class AgentStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    RETIRED = "retired", "Retired"


class Agent(models.Model):
    """An AI agent of one team: what it is for, who answers for it, where it runs."""

    Status = AgentStatus

    team = models.ForeignKey("assessor.Team", on_delete=models.PROTECT, related_name="agents")
    name = models.CharField(max_length=200, validators=[xml_text])
    purpose = models.TextField(blank=True, validators=[MaxLengthValidator(5000), xml_text])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agents_owned",
        verbose_name="accountable owner",
        help_text="The person who answers for what the agent does.",
    )
    platform = models.CharField(
        max_length=120,
        blank=True,
        validators=[xml_text],
        help_text="Where it runs, e.g. 'Azure AI Foundry', 'Bedrock agents', 'in-house'.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="agent_name_unique_per_team"),
            models.CheckConstraint(
                condition=models.Q(status__in=AgentStatus.values),
                name="agent_status_known",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("agent_detail", args=[self.pk])


class IdentityKind(models.TextChoices):
    WORKLOAD_IDENTITY = "workload_identity", "Workload identity"
    SERVICE_ACCOUNT = "service_account", "Service account"
    API_CLIENT = "api_client", "API client (OAuth app)"
    MANAGED_IDENTITY = "managed_identity", "Cloud managed identity"
    BOT_USER = "bot_user", "Bot or machine user"
    SHARED_ACCOUNT = "shared_account", "Shared account"


class CredentialType(models.TextChoices):
    SHORT_LIVED_TOKEN = "short_lived_token", "Short-lived token (federated, JIT)"
    OAUTH_CLIENT_CREDENTIALS = "oauth_client_credentials", "OAuth client credentials"
    CERTIFICATE = "certificate", "Certificate (mTLS)"
    API_KEY = "api_key", "API key"
    SSH_KEY = "ssh_key", "SSH key"
    PASSWORD = "password", "Password"


class CredentialLifetime(models.TextChoices):
    EPHEMERAL = "ephemeral", "Ephemeral: issued per task or run"
    HOURS = "hours", "Hours (under a day)"
    DAYS_30 = "days_30", "Up to 30 days"
    DAYS_90 = "days_90", "Up to 90 days"
    YEAR = "year", "Up to a year"
    NO_EXPIRY = "no_expiry", "No expiry (standing)"


class AgentIdentity(models.Model):
    """A non-human identity the agent acts as, and the credential it holds there."""

    Kind = IdentityKind
    CredentialType = CredentialType
    Lifetime = CredentialLifetime

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    system = models.CharField(
        max_length=200,
        validators=[xml_text],
        help_text="Where the identity lives, e.g. 'Entra ID', 'AWS IAM', 'ServiceNow'.",
    )
    credential_type = models.CharField(max_length=30, choices=CredentialType.choices)
    credential_lifetime = models.CharField(max_length=20, choices=Lifetime.choices)
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(2000), xml_text])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["agent", "id"]
        verbose_name_plural = "agent identities"
        # The fixed lists hold below the forms and the API: a row written any other way too.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=IdentityKind.values),
                name="agent_identity_kind_known",
            ),
            models.CheckConstraint(
                condition=models.Q(credential_type__in=CredentialType.values),
                name="agent_identity_credential_type_known",
            ),
            models.CheckConstraint(
                condition=models.Q(credential_lifetime__in=CredentialLifetime.values),
                name="agent_identity_lifetime_known",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} in {self.system}"
