"""What the API reads and writes. Bodies are checked here (400 naming the field); answers are
checked again by the wizard's own form, so the API accepts exactly what a page would."""

from __future__ import annotations

from rest_framework import serializers

from .. import access
from ..models import NOTE_MAX_LENGTH, URL_MAX_LENGTH, VERDICT_CHOICES, Assessment, Team
from ..validators import xml_text


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class AssessmentListSerializer(serializers.ModelSerializer):
    team = TeamSerializer(read_only=True)
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    questionnaire_version = serializers.CharField(source="questionnaire.version", read_only=True)
    score = serializers.FloatField(read_only=True, allow_null=True)
    verdict = serializers.ChoiceField(
        choices=[*VERDICT_CHOICES, ("", "Incomplete")],
        read_only=True,
        help_text="Empty while a core question is unanswered.",
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "name",
            "system",
            "team",
            "owner",
            "status",
            "verdict",
            "score",
            "answered_core",
            "total_core",
            "revision",
            "version",
            "questionnaire_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AssessmentSerializer(AssessmentListSerializer):
    class Meta(AssessmentListSerializer.Meta):
        fields = [
            *AssessmentListSerializer.Meta.fields,
            "description",
            "business_owner",
            "previous",
        ]
        read_only_fields = fields


class AssessmentCreateSerializer(serializers.ModelSerializer):
    """A new draft: the team must be one where the user holds a role (else 'no such team');
    a role that does not allow creating there is refused by the service with 403."""

    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())

    class Meta:
        model = Assessment
        fields = ["name", "team", "description", "system", "business_owner"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["team"].queryset = access.teams_for(request.user, access.VIEW).distinct()


class AnswerSerializer(serializers.Serializer):
    choice = serializers.CharField(max_length=50, help_text="A choice key of the question.")
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        validators=[xml_text],
    )
    evidence = serializers.CharField(
        max_length=URL_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        help_text="An http or https link, or empty.",
        validators=[xml_text],
    )


class StepSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    questions = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of the questions shown on this step."
    )
    answered = serializers.ListField(child=serializers.CharField())
    complete = serializers.BooleanField()


class AnswersSerializer(serializers.Serializer):
    """An assessment's answers, the version to send back when writing, and its steps."""

    version = serializers.IntegerField()
    status = serializers.CharField()
    answers = serializers.DictField(child=AnswerSerializer())
    steps = StepSerializer(many=True)


class StepAnswersWriteSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text="The assessment's version when you read it (optimistic lock).",
    )
    answers = serializers.DictField(
        child=AnswerSerializer(),
        allow_empty=False,
        help_text="Question key -> answer, for questions of this step only.",
    )


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=NOTE_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        validators=[xml_text],
    )


class StaleChangeSerializer(serializers.Serializer):
    question = serializers.CharField()
    text = serializers.CharField()
    theirs = serializers.CharField(help_text="The saved answer now.")
    yours = serializers.CharField(help_text="The answer you sent.")


class StaleSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current_version = serializers.IntegerField()
    changes = StaleChangeSerializer(many=True)
    changed_by = serializers.ListField(child=serializers.CharField())


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class QuestionnaireSerializer(serializers.Serializer):
    version = serializers.CharField()
    title = serializers.CharField()
    published_at = serializers.DateTimeField()
    document = serializers.DictField(help_text="The compiled bank: sections, questions, rules.")
