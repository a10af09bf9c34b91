"""The register's API serializers: agents, their identities and workflows, as JSON."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessor.records.validators import text_problem
from assessor.teams import access

from ..api.serializers import TeamSerializer
from ..models import VERDICT_CHOICES, Team
from . import selectors
from .models import Agent, AgentIdentity


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentIdentity
        fields = [
            "id",
            "kind",
            "system",
            "credential_type",
            "credential_lifetime",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class WorkflowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="latest.pk", help_text="The newest revision's id.")
    name = serializers.CharField(source="latest.name")
    revision = serializers.IntegerField(source="latest.revision")
    status = serializers.CharField(source="latest.status")
    verdict = serializers.ChoiceField(
        choices=[*VERDICT_CHOICES, ("", "No approved verdict")],
        help_text="The current verdict: the latest approved revision's; empty if none.",
    )
    approved_id = serializers.IntegerField(
        source="approved.pk", allow_null=True, default=None, help_text="That revision's id."
    )


class AgentSerializer(serializers.ModelSerializer):
    team = TeamSerializer(read_only=True)
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    identities = IdentitySerializer(many=True, read_only=True)
    workflows = serializers.SerializerMethodField()

    class Meta:
        model = Agent
        fields = [
            "id",
            "name",
            "team",
            "purpose",
            "owner",
            "platform",
            "status",
            "created_at",
            "updated_at",
            "identities",
            "workflows",
        ]
        read_only_fields = fields

    @extend_schema_field(WorkflowSerializer(many=True))
    def get_workflows(self, agent: Agent) -> list:
        workflows = self.context.get("workflows", {}).get(agent.pk)
        if workflows is None:
            workflows = selectors.agent_workflows(agent)
        return WorkflowSerializer(workflows, many=True).data


class UsernameField(serializers.SlugRelatedField):
    """A person by username. Text no username can hold (a NUL, a lone surrogate, a character
    XML forbids) is refused by name before the lookup: PostgreSQL would refuse the query."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            problem = text_problem(data)
            if problem:
                self.fail("invalid_text", problem=problem)
        return super().to_internal_value(data)

    default_error_messages = {
        **serializers.SlugRelatedField.default_error_messages,
        "invalid_text": "The username {problem}.",
    }


class AgentWriteSerializer(serializers.ModelSerializer):
    """A new agent (team required) or changes to one (team fixed). The owner is a username
    of a member of the agent's team."""

    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())
    owner = UsernameField(
        slug_field="username",
        queryset=selectors.owner_choices(Team.objects.none()),
        help_text="The accountable owner's username: a member of the agent's team.",
    )

    class Meta:
        model = Agent
        fields = ["name", "team", "purpose", "owner", "platform", "status"]
        validators = []  # one name per team: checked by the service, as a 400 on `name`

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        teams = access.teams_for(request.user, access.VIEW).distinct() if request else None
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()
        self.fields["owner"].queryset = selectors.owner_choices(teams or Team.objects.none())
        if self.instance is not None:
            self.fields.pop("team")
