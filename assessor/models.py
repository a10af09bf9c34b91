"""Database models.

The question bank lives in rows (what admins edit and what history tracks); each questionnaire
version also stores its compiled *document* (see `bank/`), which is what assessments are
scored and rendered against, so a wizard step or a report reads the whole bank in one row.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from assessor import engine
from assessor.records.guard import (
    BankRow,
    FrozenOnceOut,
    Guarded,
    GuardedHistoryQuerySet,
    GuardedQuerySet,
    ProtectedWhenCited,
)
from assessor.records.locks import (
    ANSWER_RULE,
    APPROVED_REPORT_RULE,
    CHAIN_RULE,
    DECISION_RULE,
    AssessmentRule,
)
from assessor.records.validators import xml_text
from assessor.register.models import Agent, AgentIdentity  # noqa: F401  (Django finds them here)
from assessor.teams import roles

from .bank import build_model, compiled

VERDICT_CHOICES = [(key, engine.VERDICT_LABELS[key]) for key in engine.VERDICTS]
NOTE_MAX_LENGTH = 2000
URL_MAX_LENGTH = 500
REVIEW_INTERVAL_MAX_DAYS = 1095  # three years: the longest a board would leave an approval


class FrameworkReference(ProtectedWhenCited):
    """A citable entry of a framework (verified identifiers only; see bank/frameworks.yaml).

    One cited by a published or retired version is neither edited nor deleted.
    """

    ref = models.CharField(max_length=80, unique=True, help_text="Prefix and id, e.g. csf:PR.AA-05")
    framework = models.CharField(max_length=120)
    identifier = models.CharField(max_length=40)
    title = models.TextField(validators=[xml_text])

    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "identifier"]

    def __str__(self):
        return f"{self.framework} {self.identifier}"


class Questionnaire(FrozenOnceOut):
    """A version of the bank. Once out of draft it never changes (see records/guard.py), but
    for its status moving from published to retired."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    version = models.CharField(max_length=50, unique=True, validators=[xml_text])
    title = models.CharField(max_length=200, validators=[xml_text])
    description = models.TextField(blank=True, validators=[xml_text])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    document = models.JSONField(help_text="The compiled bank this version scores against.")
    content_hash = models.CharField(max_length=64, db_index=True)
    baseline_frameworks = models.ManyToManyField(FrameworkReference, blank=True)
    framework_notes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Why a reference is cited, where its title alone would mislead (ref -> note).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    release_note = models.TextField(
        blank=True,
        help_text="What changed in this version and why, written at publication.",
        validators=[xml_text],
    )
    # Four eyes on publishing a version that changes verdicts: one questionnaire admin
    # requests it (name and note), another approves it and becomes `published_by`. A draft
    # edited after the request drops it. See studio.py.
    publish_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    publish_requested_at = models.DateTimeField(null=True, blank=True)
    publish_request_name = models.CharField(max_length=50, blank=True)
    publish_request_note = models.TextField(blank=True)
    published_without_review = models.BooleanField(
        default=False,
        help_text="Published by the installation's only questionnaire admin, with no second "
        "admin to review a change of verdicts.",
    )
    published_by_command = models.CharField(
        max_length=150,
        blank=True,
        help_text="Who ran `manage.py publish_questionnaire`, when it was published that way.",
    )
    # A draft's edit counter: every studio save checks and bumps it, so an edit made on a page
    # opened before someone else's save is refused rather than silently overwriting it.
    revision = models.PositiveIntegerField(default=1)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["document"])

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="published"),
                name="one_published_questionnaire",
            )
        ]

    def __str__(self):
        return f"{self.title} v{self.version} ({self.get_status_display()})"

    @classmethod
    def current(cls):
        """The published version new assessments use: the most recently published one."""
        return (
            cls.objects.filter(status=cls.Status.PUBLISHED).order_by("-published_at", "-id").first()
        )

    def compiled(self) -> tuple[dict, engine.ScoringModel]:
        """(document, model) of this version, shared by every request in the process."""
        return compiled(self.content_hash, lambda: self.document)

    def scoring_model(self) -> engine.ScoringModel:
        return self.compiled()[1]


class Dimension(BankRow):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="dimensions"
    )
    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=100, validators=[xml_text])
    description = models.TextField(blank=True, validators=[xml_text])
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    order = models.PositiveIntegerField(default=0)
    frameworks = models.ManyToManyField(FrameworkReference, blank=True)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="unique_dimension_key")
        ]

    def __str__(self):
        return self.label


class Section(BankRow):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="sections"
    )
    key = models.SlugField(max_length=50)
    title = models.CharField(max_length=200, validators=[xml_text])
    intro = models.TextField(blank=True, validators=[xml_text])
    order = models.PositiveIntegerField(default=0)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="unique_section_key")
        ]

    def __str__(self):
        return self.title


class Question(BankRow):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=50)
    text = models.TextField(validators=[xml_text])
    help_text = models.TextField(blank=True, validators=[xml_text])
    control = models.CharField(
        max_length=200,
        blank=True,
        help_text="The control a safer answer stands for.",
        validators=[xml_text],
    )
    core = models.BooleanField(default=False, help_text="Core questions must be answered.")
    scope = models.BooleanField(
        default=False,
        help_text=(
            "Describes the workflow itself, not a control: the path to the next level never "
            "changes it."
        ),
    )
    show_if = models.JSONField(
        null=True, blank=True, help_text="Ask only when this condition holds."
    )
    optional = models.BooleanField(
        default=False,
        help_text=(
            "A fact that can only lower a verdict: shown and left unanswered, it counts for "
            "nothing (not assumed at its riskiest). Never on a core question; carries no weights."
        ),
    )
    order = models.PositiveIntegerField(default=0)
    frameworks = models.ManyToManyField(FrameworkReference, blank=True)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "section__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="unique_question_key")
        ]

    def __str__(self):
        return self.key


class Choice(BankRow):
    questionnaire_path = "question__questionnaire"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=200, validators=[xml_text])
    order = models.PositiveIntegerField(default=0, help_text="Safest first.")

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["question", "order"]
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="unique_choice_key")
        ]

    def __str__(self):
        return f"{self.question.key}={self.key}"


class ChoiceWeight(BankRow):
    questionnaire_path = "choice__question__questionnaire"

    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="weights")
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(max_digits=7, decimal_places=2)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["choice", "dimension"], name="unique_choice_dimension")
        ]

    def __str__(self):
        return f"{self.choice}: {self.points} on {self.dimension.key}"


class Rule(BankRow):
    """A rule of the bank: a cap holds the verdict at most at its level while its condition
    holds; a floor lifts the score's verdict to at least its level (caps still apply after)."""

    class Kind(models.TextChoices):
        CAP = "cap", "Cap (holds the verdict at most at the level)"
        FLOOR = "floor", "Floor (lifts the verdict to at least the level)"

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="rules")
    key = models.SlugField(max_length=80, help_text="The rule's stable id.")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.CAP)
    cap = models.CharField(
        max_length=20,
        choices=VERDICT_CHOICES[:-1],
        verbose_name="level",
        help_text="The level the rule holds the verdict at (a cap) or lifts it to (a floor).",
    )
    reason = models.TextField(validators=[xml_text])
    condition = models.JSONField()
    order = models.PositiveIntegerField(default=0)
    frameworks = models.ManyToManyField(FrameworkReference, blank=True)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="unique_rule_key")
        ]

    def __str__(self):
        return self.key

    @property
    def is_floor(self) -> bool:
        return self.kind == self.Kind.FLOOR


class Threshold(BankRow):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="thresholds"
    )
    verdict = models.CharField(max_length=20, choices=VERDICT_CHOICES[1:])
    min_score = models.DecimalField(max_digits=5, decimal_places=1)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "min_score"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "verdict"], name="unique_threshold")
        ]

    def __str__(self):
        return f"{self.verdict} from {self.min_score}"


class OwnershipCondition(BankRow):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="ownership_conditions"
    )
    key = models.SlugField(max_length=80)
    title = models.CharField(max_length=200, validators=[xml_text])
    condition = models.JSONField()
    reason = models.TextField(
        blank=True,
        help_text="Why the verdict stays at supervised while this condition is not met.",
        validators=[xml_text],
    )
    order = models.PositiveIntegerField(default=0)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="unique_condition_key")
        ]

    def __str__(self):
        return self.title


class Team(models.Model):
    """The people who share assessments; every assessment belongs to one team."""

    name = models.CharField(max_length=100, unique=True, validators=[xml_text])
    review_interval_days = models.PositiveSmallIntegerField(
        "review interval (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(REVIEW_INTERVAL_MAX_DAYS)],
        help_text=(
            "Days from an approval to its review-by date (1 to 1095). Empty: the installation's "
            "default (ASSESSOR_REVIEW_INTERVAL_DAYS)."
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams", blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """The roles one person holds in one team (see `roles.py`).

    One row per team and person, with a flag per role, rather than one row per role: the
    record's team and the user's roles in it then come back with the record through a single
    join (see `access.py`), the unique constraint makes "alice in team A" one fact, and
    granting a second role changes a row instead of adding one, as pretix's team permission
    flags do.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    reviewer = models.BooleanField(
        default=False, help_text="Creates, edits, submits, reassesses and imports."
    )
    approver = models.BooleanField(
        default=False, help_text="Approves or returns submitted assessments."
    )
    auditor = models.BooleanField(default=False, help_text="Reads records, history and exports.")
    questionnaire_admin = models.BooleanField(
        default=False, help_text="Edits the question bank (global: held in any team)."
    )
    team_manager = models.BooleanField(
        default=False,
        help_text="Adds and removes the team's members and sets their roles (back office).",
    )
    sso_roles = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            "Roles granted by single sign-on from the user's group claims; they follow the "
            "claims at each sign-in. Roles granted by hand are not listed and SSO never removes "
            "them."
        ),
    )

    # Every change of who is in a team, with which roles, and who made it: the audit trail.
    history = HistoricalRecords()

    class Meta:
        ordering = ["team", "user"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self):
        return f"{self.user} in {self.team}: {', '.join(self.role_labels()) or 'no role'}"

    def role_labels(self) -> list[str]:
        return [roles.ROLE_LABELS[field] for field in roles.ROLE_FIELDS if getattr(self, field)]

    def allows(self, action: str) -> bool:
        return roles.allows({field: getattr(self, field) for field in roles.ROLE_FIELDS}, action)


class SsoIdentity(models.Model):
    """The single sign-on account a user signs in with: the provider's stable subject (`sub`).

    Users are matched by (issuer, subject), never by email: a changed email at the provider
    keeps the same account, and an SSO user whose email equals a local account's cannot take
    that account over.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    last_sign_in = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_sso_subject")
        ]

    def __str__(self):
        return f"{self.user} ({self.subject} at {self.issuer})"


class Assessment(Guarded):
    """A review record. Submitted or approved, it is fixed (see records/locks.py)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned for changes"

    # Free text that reaches the reports and exports: `xml_text` keeps out what they cannot hold.
    name = models.CharField("workflow name", max_length=200, validators=[xml_text])
    description = models.TextField(blank=True, validators=[MaxLengthValidator(5000), xml_text])
    system = models.CharField("system concerned", max_length=200, blank=True, validators=[xml_text])
    business_owner = models.CharField(max_length=200, blank=True, validators=[xml_text])
    is_example = models.BooleanField(
        "example",
        default=False,
        editable=False,
        help_text=(
            "Created by seed_examples to show a newcomer finished reports; left out of exports, "
            "the API's list and the dashboard unless asked for."
        ),
    )
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="assessments")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Optimistic locking: every save of answers checks and increments it in one UPDATE.
    version = models.PositiveIntegerField(default=1)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )
    revision = models.PositiveIntegerField(default=1)
    # Register metadata, not part of what was assessed: the one field the record lock lets
    # change on a submitted or approved record (see locked_records.REGISTER_FIELDS).
    agent = models.ForeignKey(
        Agent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        help_text="The AI agent that runs this workflow (the agent register).",
    )
    # Frozen at submission: the bank (texts, weights, rules, thresholds) and the result as they
    # were, so later edits of the questionnaire never change this record.
    snapshot_document = models.JSONField(null=True, blank=True, editable=False)
    snapshot_result = models.JSONField(null=True, blank=True, editable=False)
    # Kept with each save of answers so the dashboard can filter and sort in SQL.
    verdict = models.CharField(max_length=20, choices=VERDICT_CHOICES, blank=True)
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    answered_core = models.PositiveIntegerField(default=0)
    total_core = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["snapshot_document", "snapshot_result"])
    write_rule = AssessmentRule()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["team", "-updated_at"])]
        permissions = [("approve_assessment", "Can approve or return submitted assessments")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("report", args=[self.pk])

    @property
    def document(self) -> dict:
        """The bank this record is scored against: its snapshot once submitted."""
        if self.snapshot_document:
            return self.snapshot_document
        return self.questionnaire.compiled()[0]

    def scoring_model(self) -> engine.ScoringModel:
        if self.snapshot_document:
            return build_model(self.snapshot_document, frozen=True)
        return self.questionnaire.scoring_model()

    @property
    def is_locked(self) -> bool:
        return self.status not in EDITABLE_STATUSES

    @property
    def is_returned(self) -> bool:
        return self.status == self.Status.RETURNED

    @property
    def progress(self) -> engine.CoreProgress:
        """The stored counter (kept by `services.summary_fields` from `Result.progress`)."""
        return engine.CoreProgress(self.answered_core, self.total_core)

    @property
    def progress_percent(self) -> int:
        return self.progress.percent

    @property
    def is_complete(self) -> bool:
        return self.progress.complete


# A returned assessment is a draft again for its team's reviewers: edited, then resubmitted.
EDITABLE_STATUSES = (Assessment.Status.DRAFT, Assessment.Status.RETURNED)


class Answer(Guarded):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question_key = models.SlugField(max_length=50)
    choice_key = models.SlugField(max_length=50)
    note = models.TextField(blank=True, validators=[MaxLengthValidator(NOTE_MAX_LENGTH), xml_text])
    evidence_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True, validators=[xml_text])
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()
    write_rule = ANSWER_RULE

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question_key"], name="one_answer_per_question"
            )
        ]

    def __str__(self):
        return f"{self.question_key}={self.choice_key}"


class Decision(Guarded):
    """A step of the review workflow: who did what, when, and why. Recorded once, never changed."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for approval"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned for changes"
        REASSESSED = "reassessed", "Reassessed as a new revision"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="decisions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=12, choices=Action.choices)
    comment = models.TextField(
        blank=True, validators=[MaxLengthValidator(NOTE_MAX_LENGTH), xml_text]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GuardedQuerySet.as_manager()
    write_rule = DECISION_RULE

    class Meta:
        ordering = ["assessment", "created_at", "id"]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor} on {self.created_at:%Y-%m-%d}"


class ApprovedReport(Guarded):
    """The PDF rendered once at approval; every later download serves these exact bytes."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, related_name="approved_report"
    )
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GuardedQuerySet.as_manager()
    write_rule = APPROVED_REPORT_RULE

    def __str__(self):
        return self.filename


class RecordLink(Guarded):
    """One link of a record's hash chain: what a review decision saw (see records/chain.py).

    `decision_id` is a plain number, not a foreign key: the chain must outlive a decision row
    deleted around the app, to say so."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="chain")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=12)
    decision_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    previous = models.CharField(max_length=64, blank=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GuardedQuerySet.as_manager()
    write_rule = CHAIN_RULE

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "position"], name="one_link_per_position")
        ]

    def __str__(self):
        return f"{self.assessment_id} #{self.position} ({self.kind})"


class ExportRecord(models.Model):
    """Every PDF and JSON export: who took which record out, and a hash of what they took."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF report"
        JSON = "json", "JSON export"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="exports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.assessment} by {self.user}"


class NotificationPreference(models.Model):
    """Whether a person gets the review emails (submitted, returned, approved). No row: yes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    review_emails = models.BooleanField(
        "email me about reviews",
        default=True,
        help_text=(
            "An email when an assessment of your team awaits your approval, and when one you "
            "submitted is returned or approved."
        ),
    )
    reminder_emails = models.BooleanField(
        "email me reminders and digests",
        default=True,
        help_text=(
            "An email when a record you own or approve falls due for review, becomes overdue "
            "or lapses, and the weekly digest of your team (for approvers and team managers)."
        ),
    )

    def __str__(self):
        reviews = "on" if self.review_emails else "off"
        reminders = "on" if self.reminder_emails else "off"
        return f"{self.user}: review emails {reviews}, reminders {reminders}"


class ApiToken(models.Model):
    """A personal access token for the API. Only a SHA-256 digest of the secret is stored:
    the token is shown once, at creation, and cannot be read back (see `tokens.py`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100,
        help_text="What the token is for, e.g. 'GRC sync'.",
        validators=[xml_text],
    )
    prefix = models.CharField(max_length=16, unique=True, help_text="Shown to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…) of {self.user}"

    def state(self, now) -> str:
        """'revoked', 'expired' or 'active' at `now`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class RateWindow(models.Model):
    """The requests one API token (or signed-in user) made in the rate limit's window: their
    times, newest first. Each request reads and writes its row under a row lock
    (`api/throttling.py`), so parallel requests on any worker or host are counted exactly."""

    key = models.CharField(max_length=200, unique=True)
    history = models.JSONField(default=list)

    def __str__(self):
        return f"{self.key}: {len(self.history)} recent request(s)"


# Tables that live with their packages but in this one app: board packs (assessor/boardpacks/),
# reminders, digests and webhooks (assessor/notify/), the review cycle (assessor/oversight/),
# autonomy grants (assessor/grants/), file evidence (assessor/evidence/), control gaps
# (assessor/portfolio/).
from .boardpacks.models import BoardPack  # noqa: E402, F401
from .evidence.models import EvidenceExpiry, EvidenceFile  # noqa: E402, F401
from .grants.models import AutonomyGrant, SigningKey  # noqa: E402, F401
from .notify.models import Delivery, Event, WebhookEndpoint  # noqa: E402, F401
from .oversight.models import ReviewCycle  # noqa: E402, F401
from .portfolio.models import ControlGap, PortfolioRecord  # noqa: E402, F401
