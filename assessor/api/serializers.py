"""What the API reads and writes. Bodies are checked here (400 naming the field); answers are
checked again by the wizard's own form, so the API accepts exactly what a page would."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessor.evidence.selectors import evidence_of
from assessor.oversight.selectors import REVIEW_STATES, SUPERSEDED, review_status
from assessor.records import selectors
from assessor.records.validators import xml_text
from assessor.teams import access

from ..models import (
    NOTE_MAX_LENGTH,
    URL_MAX_LENGTH,
    VERDICT_CHOICES,
    Agent,
    Assessment,
    Team,
)


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
    verdict_label = serializers.SerializerMethodField(
        help_text='The verdict as the report names it; "Incomplete" while `verdict` is empty.'
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    approved_by = serializers.SerializerMethodField(
        help_text="The approver's username; null unless approved."
    )
    approved_at = serializers.SerializerMethodField(help_text="Null unless approved.")
    review_by = serializers.SerializerMethodField(
        help_text="The date the approved record is due for review again (the approval date "
        "plus the team's review interval); null unless approved."
    )
    review_state = serializers.SerializerMethodField(
        help_text="Where the approval stands in its review cycle: current, due (review-by date "
        "near), overdue (past it), lapsed (past the grace period: no longer a current verdict) "
        "or superseded (a newer revision is approved); null unless approved."
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "name",
            "system",
            "team",
            "owner",
            "is_example",
            "status",
            "status_label",
            "verdict",
            "verdict_label",
            "score",
            "answered_core",
            "total_core",
            "revision",
            "version",
            "questionnaire_version",
            "created_at",
            "updated_at",
            "approved_by",
            "approved_at",
            "review_by",
            "review_state",
            "agent",
        ]
        read_only_fields = fields

    def get_verdict_label(self, assessment: Assessment) -> str:
        return assessment.get_verdict_display() if assessment.verdict else "Incomplete"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_approved_by(self, assessment: Assessment) -> str | None:
        return selectors.approval_of(assessment)[0]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_approved_at(self, assessment: Assessment) -> str | None:
        approved_at = selectors.approval_of(assessment)[1]
        return serializers.DateTimeField().to_representation(approved_at) if approved_at else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_review_by(self, assessment: Assessment) -> str | None:
        review = review_status(assessment, selectors.approval_of(assessment)[1])
        return review.review_by.isoformat() if review else None

    @extend_schema_field(
        serializers.ChoiceField(choices=[*REVIEW_STATES, SUPERSEDED], allow_null=True)
    )
    def get_review_state(self, assessment: Assessment) -> str | None:
        review = review_status(assessment, selectors.approval_of(assessment)[1])
        return review.state if review else None


class EvidenceFileSerializer(serializers.Serializer):
    """A file of evidence as the report lists it; its bytes come from `download`."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    question = serializers.SerializerMethodField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField()
    effective_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    download = serializers.SerializerMethodField()

    def get_question(self, evidence) -> str | None:
        """The question key, or null for evidence on the whole record."""
        return evidence.question_key or None

    def get_download(self, evidence) -> str:
        return reverse("evidence_download", args=[evidence.assessment_id, evidence.pk])


class AssessmentSerializer(AssessmentListSerializer):
    evidence_files = serializers.SerializerMethodField()

    class Meta(AssessmentListSerializer.Meta):
        fields = [
            *AssessmentListSerializer.Meta.fields,
            "description",
            "business_owner",
            "previous",
            "evidence_files",
        ]
        read_only_fields = fields

    @extend_schema_field(EvidenceFileSerializer(many=True))
    def get_evidence_files(self, assessment: Assessment) -> list[dict]:
        return EvidenceFileSerializer(evidence_of(assessment), many=True).data


class AssessmentCreateSerializer(serializers.ModelSerializer):
    """A new draft: the team must be one where the user holds a role (else 'no such team');
    a role that does not allow creating there is refused by the service with 403."""

    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())
    agent = serializers.PrimaryKeyRelatedField(
        queryset=Agent.objects.none(),
        required=False,
        allow_null=True,
        help_text="The id of the agent (of the same team) that runs the workflow; optional.",
    )

    class Meta:
        model = Assessment
        fields = ["name", "team", "agent", "description", "system", "business_owner"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            teams = access.teams_for(request.user, access.VIEW).distinct()
            self.fields["team"].queryset = teams
            self.fields["agent"].queryset = Agent.objects.filter(team__in=teams)

    def validate(self, attrs):
        agent, team = attrs.get("agent"), attrs.get("team")
        if agent is not None and team is not None and agent.team_id != team.pk:
            raise serializers.ValidationError({"agent": "Choose an agent of the same team."})
        return attrs


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


class ApprovalSerializer(DecisionSerializer):
    conditions = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        required=False,
        default="",
        validators=[xml_text],
        help_text="Conditions carried in the autonomy grant issued with the approval.",
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


# --- the result (documentation only: the view returns `selectors.result_json` as it is) -------

LEVELS = ["copilot", "supervised"]


class FiredRuleSerializer(serializers.Serializer):
    id = serializers.CharField()
    cap = serializers.ChoiceField(
        choices=LEVELS, help_text="The verdict key it holds the workflow at, at most."
    )
    reason = serializers.CharField()
    frameworks = serializers.ListField(child=serializers.CharField())


class FiredFloorSerializer(serializers.Serializer):
    id = serializers.CharField()
    # A floor lifts to supervised at most (ownership needs the score and every condition).
    floor = serializers.ChoiceField(
        choices=["supervised"], help_text="The verdict key it lifts the score's verdict to."
    )
    reason = serializers.CharField()
    frameworks = serializers.ListField(child=serializers.CharField())


# "from" is a Python keyword, so the fields are given as a mapping.
ChangeSerializer = type(
    "ChangeSerializer",
    (serializers.Serializer,),
    {
        "question": serializers.CharField(),
        "question_text": serializers.CharField(),
        "from": serializers.CharField(help_text="The choice now counted."),
        "from_label": serializers.CharField(),
        "to": serializers.CharField(),
        "to_label": serializers.CharField(),
        "rules_cleared": serializers.ListField(child=serializers.CharField()),
        "dimension": serializers.CharField(),
        "dimension_label": serializers.CharField(),
        "control": serializers.CharField(allow_blank=True),
        "assumed": serializers.BooleanField(
            help_text="Left unanswered and counted as its riskiest choice (`from`)."
        ),
    },
)


class ConditionSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    met = serializers.BooleanField()


class CitedFrameworkSerializer(serializers.Serializer):
    framework = serializers.CharField()
    id = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField(allow_blank=True)


class VerdictRangeSerializer(serializers.Serializer):
    lowest = serializers.CharField()
    highest = serializers.CharField()


class AutonomyScaleSerializer(serializers.Serializer):
    scale = serializers.CharField(help_text="The scale's prefix in the framework catalogue.")
    scale_name = serializers.CharField()
    level = serializers.CharField(help_text='The level\'s id on that scale, e.g. "Scope 2".')
    level_name = serializers.CharField()
    reason = serializers.CharField(help_text="Why the verdict sits at this level, in one line.")


class ResultSerializer(serializers.Serializer):
    """An assessment's result, as `manage.py assess` prints it."""

    name = serializers.CharField()
    questionnaire_version = serializers.CharField()
    verdict = serializers.ChoiceField(
        choices=VERDICT_CHOICES, help_text="While incomplete, the verdict so far: see `complete`."
    )
    label = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    score_verdict = serializers.CharField(help_text="The verdict key the score alone reaches.")
    decided_by = serializers.ChoiceField(
        choices=["score", "rule", "score and rule"],
        help_text="A floor that sets the verdict counts as `rule`.",
    )
    dimensions = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="Dimension key -> 0-100."
    )
    rules_fired = FiredRuleSerializer(many=True, help_text="Every cap whose condition holds.")
    floors_applied = FiredFloorSerializer(
        many=True,
        help_text=(
            "Rules that lifted the score's verdict and that the verdict stands on (e.g. a clear, "
            "enforced approval chain: at least supervised); caps still apply after them."
        ),
    )
    next_level_target = serializers.CharField(
        allow_null=True, help_text="The verdict key one level up; null at the top."
    )
    next_level = ChangeSerializer(
        many=True, help_text="Answer changes that lift the verdict one level."
    )
    next_level_blocked_by = serializers.ListField(
        child=serializers.CharField(),
        help_text="Scope questions in the way when no change of controls lifts it.",
    )
    control_gaps = FiredRuleSerializer(
        many=True,
        help_text=(
            "When scope blocks the next level: the rules on controls alone that would still hold "
            "it below the next level with a narrower scope."
        ),
    )
    conditions = ConditionSerializer(many=True)
    assumed = serializers.ListField(
        child=serializers.CharField(),
        help_text="Shown follow-ups left unanswered, counted at their riskiest choice.",
    )
    optional_unanswered = serializers.ListField(
        child=serializers.CharField(),
        help_text="Shown optional questions left unanswered: they count for nothing.",
    )
    frameworks = CitedFrameworkSerializer(many=True)
    complete = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())
    verdict_range = VerdictRangeSerializer(
        allow_null=True,
        help_text="While incomplete: the lowest and highest verdicts still possible.",
    )
    autonomy_scales = AutonomyScaleSerializer(
        many=True,
        help_text="The verdict's level on each published autonomy scale (Knight Institute "
        "levels, AWS Agentic AI Security Scoping Matrix, AI HLEG human oversight), each with "
        "a one-line reason; empty while the assessment is incomplete.",
    )
