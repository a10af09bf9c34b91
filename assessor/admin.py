"""The back office: the question bank, versions, impact preview and the audit trail.

Only draft versions can be edited. Every save or delete of a bank row recompiles the version's
document and validates the whole bank; anything invalid is refused with the validator's message
and nothing is saved (the admin view's transaction is rolled back). Rows of published and
retired versions are shown read only here, and the models refuse to change them anyway
(records/guard.py): a refusal that still reaches the admin is shown as a message.
"""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from assessor import bank
from assessor.bank import loading
from assessor.records import guard as immutability
from assessor.records.validators import DIMENSION_WEIGHT_RANGE, POINTS_RANGE
from assessor.studio import impact
from assessor.studio import services as studio
from assessor.teams import access
from assessor.teams.roles import ROLE_LABELS
from assessor.wizard.forms import ConditionField, StoredJSONField, WeightField

from .bank import bank_yaml
from .models import (
    ApprovedReport,
    Assessment,
    Choice,
    ChoiceWeight,
    Decision,
    Dimension,
    ExportRecord,
    FrameworkReference,
    Membership,
    OwnershipCondition,
    Question,
    Questionnaire,
    Rule,
    Section,
    Team,
    Threshold,
)
from .oversight.services import review_cycles_reschedule


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are evidence: listed and readable, never edited in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- editing a draft ------------------------------------------------------------------------


def questionnaire_of(obj) -> Questionnaire | None:
    if obj is None:
        return None
    if isinstance(obj, Questionnaire):
        return obj
    if isinstance(obj, Choice):
        return obj.question.questionnaire
    if isinstance(obj, ChoiceWeight):
        return obj.choice.question.questionnaire
    return obj.questionnaire


def is_frozen(obj) -> bool:
    """Whether `obj` belongs to a published or retired version (or is a reference one cites)."""
    if isinstance(obj, FrameworkReference):
        using = router.db_for_read(FrameworkReference)
        return obj.pk is not None and bool(immutability.citations(using, [obj.pk]))
    questionnaire = questionnaire_of(obj)
    return questionnaire is not None and questionnaire.status != Questionnaire.Status.DRAFT


class BankForm(forms.ModelForm):
    """Shows the models' refusal to change a published or retired version as a form error."""

    def _post_clean(self):
        super()._post_clean()
        if self.instance.pk is None or self.has_changed():
            try:
                immutability.check_write(self.instance)
            except ValidationError as error:
                self.add_error(None, error)


@admin.action(description="Delete selected %(verbose_name_plural)s", permissions=["delete"])
def delete_unless_frozen(modeladmin, request, queryset):
    """Django's "Delete selected", refused with the reason when a row cannot change."""
    refusal = queryset.delete_refusal()
    if refusal is not None:
        modeladmin.message_user(request, " ".join(refusal.messages), messages.ERROR)
        return None
    return delete_selected(modeladmin, request, queryset)


class RefusalAsMessage:
    """A refusal raised inside an admin view (its transaction rolled back) becomes a message."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_unless_frozen, name, description)
        return actions

    def _refused_as_message(self, view, request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except bank.BankError as error:
            messages.error(
                request, "Not saved: the bank would become invalid. " + " ".join(error.problems)
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._refused_as_message(super().changeform_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._refused_as_message(super().delete_view, request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._refused_as_message(super().changelist_view, request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not is_frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_frozen(obj) and super().has_delete_permission(request, obj)


class DraftOnlyMixin(RefusalAsMessage):
    """Bank rows are edited only in draft versions, and each save is validated as a whole."""

    form = BankForm

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.model.questionnaire_path != "pk":
            # is_frozen() reads each row's version: one join, not a query per row.
            queryset = queryset.select_related(self.model.questionnaire_path)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "questionnaire_path"):  # a version or a bank row
            kwargs["queryset"] = draft_rows(db_field.related_model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changelist_form(self, request, **kwargs):
        """List editing: the rows of published and retired versions are shown disabled."""
        base = super().get_changelist_form(request, **{"form": BankForm, **kwargs})

        class DraftRowsOnly(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if self.instance.pk is not None and is_frozen(self.instance):
                    for field in self.fields.values():
                        field.disabled = True

        return DraftRowsOnly

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        loading.questionnaire_refresh(questionnaire_of(form.instance))

    def delete_model(self, request, obj):
        loading.bank_rows_delete(rows=type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        # Deleted together, then the draft is validated as a whole (BankError rolls back).
        loading.bank_rows_delete(rows=queryset)

    def history_form_view(self, request, *args, **kwargs):
        return self._refused_as_message(super().history_form_view, request, *args, **kwargs)


def draft_rows(model):
    """The rows of `model` that a draft's form may point at (a bank model or Questionnaire)."""
    if model is Questionnaire:
        return Questionnaire.objects.filter(status=Questionnaire.Status.DRAFT)
    return model.objects.filter(
        **{f"{model.questionnaire_path}__status": Questionnaire.Status.DRAFT}
    )


class DraftOnlyInline:
    """An inline on a bank row's page: read only when the parent is of a non-draft version."""

    form = BankForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "questionnaire_path"):  # a version or a bank row
            kwargs["queryset"] = draft_rows(db_field.related_model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, obj=None):
        return not is_frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not is_frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_frozen(obj) and super().has_delete_permission(request, obj)


WEIGHT_LIMITS = {
    (ChoiceWeight, "points"): POINTS_RANGE,
    (Dimension, "weight"): DIMENSION_WEIGHT_RANGE,
}
CONDITION_FIELDS = {(Rule, "condition"), (Question, "show_if"), (OwnershipCondition, "condition")}


class BankFieldsMixin:
    """Weights in range and conditions in shape, in the change forms, the editable lists and
    the inlines alike, so nothing out of range or too deep reaches the bank's parser."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        key = (db_field.model, db_field.name)
        if key in WEIGHT_LIMITS:
            lowest, highest = WEIGHT_LIMITS[key]
            kwargs["form_class"] = partial(WeightField, lowest=lowest, highest=highest)
        elif key in CONDITION_FIELDS:
            kwargs["form_class"] = ConditionField
        elif isinstance(db_field, models.JSONField):
            kwargs["form_class"] = StoredJSONField
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class BankAdmin(BankFieldsMixin, DraftOnlyMixin, SimpleHistoryAdmin):
    pass


def _choices_by_question(questionnaire: Questionnaire) -> dict[str, list[str]]:
    choices: dict[str, list[str]] = {}
    for question_key, choice_key in Choice.objects.filter(
        question__questionnaire=questionnaire
    ).values_list("question__key", "key"):
        choices.setdefault(question_key, []).append(choice_key)
    return choices


class RuleForm(BankForm):
    class Meta:
        model = Rule
        fields = [
            "questionnaire",
            "key",
            "kind",
            "cap",
            "reason",
            "condition",
            "order",
            "frameworks",
        ]
        help_texts = {
            "condition": 'e.g. {"question": "approval_chain", "in": ["unclear"]}, or '
            '{"all": [...]} / {"any": [...]} of such conditions.'
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            self.fields["kind"].required = False  # a post that leaves it out keeps a cap

    def clean_kind(self):
        return self.cleaned_data.get("kind") or self.instance.kind or Rule.Kind.CAP

    def clean(self):
        cleaned = super().clean()
        questionnaire, condition = cleaned.get("questionnaire"), cleaned.get("condition")
        if questionnaire is not None and condition is not None:
            checker = bank.Checker(bank.load_catalog())
            checker.condition("condition", condition, _choices_by_question(questionnaire))
            for problem in checker.problems:
                self.add_error("condition", problem)
        if cleaned.get("kind") == Rule.Kind.FLOOR and cleaned.get("cap") == "copilot":
            self.add_error("cap", "A floor at Copilot lifts nothing: give Supervised.")
        return cleaned


class ThresholdForm(BankForm):
    class Meta:
        model = Threshold
        fields = ["questionnaire", "verdict", "min_score"]

    def clean(self):
        cleaned = super().clean()
        questionnaire, verdict = cleaned.get("questionnaire"), cleaned.get("verdict")
        score = cleaned.get("min_score")
        if questionnaire is None or verdict is None or score is None:
            return cleaned
        scores = dict(
            Threshold.objects.filter(questionnaire=questionnaire)
            .exclude(pk=self.instance.pk)
            .values_list("verdict", "min_score")
        )
        scores[verdict] = score
        supervised, owner = scores.get("supervised"), scores.get("owner")
        if not 0 <= score <= 100:
            self.add_error("min_score", "A threshold is a score from 0 to 100.")
        elif supervised is not None and owner is not None and not supervised < owner:
            self.add_error(
                "min_score",
                f"Thresholds must be in order: supervised ({supervised}) below "
                f"bounded ownership ({owner}).",
            )
        return cleaned


class ChoiceWeightInline(BankFieldsMixin, DraftOnlyInline, admin.TabularInline):
    model = ChoiceWeight
    extra = 0


class ChoiceInline(DraftOnlyInline, admin.TabularInline):
    model = Choice
    extra = 0
    show_change_link = True
    fields = ["key", "label", "order"]


@admin.register(Questionnaire)
class QuestionnaireAdmin(BankFieldsMixin, DraftOnlyMixin, SimpleHistoryAdmin):
    list_display = ["version", "title", "status", "published_at", "impact_link"]
    list_filter = ["status"]
    readonly_fields = ["status", "content_hash", "created_at", "published_at"]
    exclude = ["document"]
    actions = ["clone_as_draft", "publish", "export_yaml"]

    def save_related(self, request, form, formsets, change):
        admin.ModelAdmin.save_related(self, request, form, formsets, change)
        if change:
            loading.questionnaire_refresh(form.instance)

    @admin.display(description="Impact preview")
    def impact_link(self, obj):
        if obj.status != Questionnaire.Status.DRAFT:
            return "–"
        return format_html(
            '<a href="{}">Preview impact</a>', reverse("admin:assessor_impact", args=[obj.pk])
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/impact/",
                self.admin_site.admin_view(self.impact_view),
                name="assessor_impact",
            ),
            *super().get_urls(),
        ]

    def impact_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        draft = Questionnaire.objects.filter(pk=pk).first()
        if draft is None:
            messages.error(request, "No such questionnaire version.")
            return HttpResponseRedirect(reverse("admin:assessor_questionnaire_changelist"))
        current = Questionnaire.current()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Impact of version {draft.version}",
            "draft": draft,
            "current": current,
            # every record counted; named only where this user may read the team's records
            "impact": impact.impact_preview(
                draft, readable=access.teams_for(request.user, access.VIEW)
            ),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assessor/impact.html", context)

    @admin.action(description="Clone as a new draft", permissions=["clone"])
    def clone_as_draft(self, request, queryset):
        for questionnaire in queryset:
            clone = loading.questionnaire_clone(questionnaire)
            self.message_user(
                request, f"Created draft {clone.version} from {questionnaire.version}."
            )

    @admin.action(description="Publish (new assessments use it)", permissions=["change"])
    def publish(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Publish one version at a time.", messages.ERROR)
            return
        questionnaire = queryset.get()
        if questionnaire.status != Questionnaire.Status.DRAFT:
            self.message_user(request, "Only a draft can be published.", messages.ERROR)
            return
        changes = studio.changes_verdicts(questionnaire)
        if changes and studio.bank_admin_count() > 1:
            self.message_user(
                request,
                "Not published: this version changes verdicts, so a second questionnaire admin "
                "must approve it. Request its publication in the questionnaire studio.",
                messages.ERROR,
            )
            return
        try:
            with transaction.atomic():
                if changes:  # the only questionnaire admin: nobody could review it
                    questionnaire.published_without_review = True
                    questionnaire.save(update_fields=["published_without_review"])
                loading.questionnaire_publish(questionnaire)
        except bank.BankError as error:
            self.message_user(request, "Not published: " + " ".join(error.problems), messages.ERROR)
            return
        self.message_user(request, f"Published {questionnaire.version}.")

    @admin.action(description="Export as YAML", permissions=["view"])
    def export_yaml(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Export one version at a time.", messages.ERROR)
            return None
        questionnaire = queryset.get()
        response = HttpResponse(bank_yaml(questionnaire), content_type="application/yaml")
        response["Content-Disposition"] = (
            f'attachment; filename="questionnaire-{questionnaire.version}.yaml"'
        )
        return response

    def has_add_permission(self, request):
        # A version is born from a bank file (load_questionnaire) or by cloning one.
        return False

    def has_clone_permission(self, request):
        return request.user.has_perm("assessor.add_questionnaire")


@admin.register(Section)
class SectionAdmin(BankAdmin):
    list_display = ["title", "key", "order", "questionnaire"]
    list_filter = ["questionnaire"]


@admin.register(Dimension)
class DimensionAdmin(BankAdmin):
    list_display = ["label", "key", "weight", "questionnaire"]
    list_editable = ["weight"]
    list_filter = ["questionnaire"]
    filter_horizontal = ["frameworks"]


@admin.register(Question)
class QuestionAdmin(BankAdmin):
    list_display = ["key", "section", "core", "scope", "optional", "questionnaire"]
    list_filter = ["questionnaire", "core", "optional"]
    search_fields = ["key", "text"]
    inlines = [ChoiceInline]
    filter_horizontal = ["frameworks"]


@admin.register(Choice)
class ChoiceAdmin(BankAdmin):
    list_display = ["question", "key", "label", "order"]
    list_filter = ["question__questionnaire"]
    inlines = [ChoiceWeightInline]


@admin.register(ChoiceWeight)
class ChoiceWeightAdmin(BankAdmin):
    """Every weight in one list, editable in place: the quickest way to tune a draft."""

    list_display = ["choice", "dimension", "points"]
    list_editable = ["points"]
    list_filter = ["choice__question__questionnaire", "dimension__key"]
    list_select_related = ["choice__question__questionnaire", "dimension"]


@admin.register(Rule)
class RuleAdmin(BankAdmin):
    form = RuleForm
    list_display = ["key", "kind", "cap", "questionnaire"]
    list_filter = ["questionnaire", "kind", "cap"]
    filter_horizontal = ["frameworks"]


@admin.register(Threshold)
class ThresholdAdmin(BankAdmin):
    form = ThresholdForm
    list_display = ["verdict", "min_score", "questionnaire"]
    list_filter = ["questionnaire"]


@admin.register(OwnershipCondition)
class OwnershipConditionAdmin(BankAdmin):
    list_display = ["title", "key", "questionnaire"]
    list_filter = ["questionnaire"]


@admin.register(FrameworkReference)
class FrameworkReferenceAdmin(RefusalAsMessage, admin.ModelAdmin):
    """References cited by a published or retired version are read only and never deleted."""

    form = BankForm

    list_display = ["framework", "identifier", "title"]
    list_filter = ["framework"]
    search_fields = ["identifier", "title"]


class MembershipInline(admin.TabularInline):
    """Who is in the team and which roles each person holds there (one row per person).

    Only the team's managers (and superusers) see or change these rows: Django's model
    permissions are not asked, so a staff user given "change team" cannot add themselves to a
    team and read its records. The questionnaire admin role edits the bank of every team, so
    only a superuser grants it; single sign-on keeps `sso_roles`."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    def get_autocomplete_fields(self, request):
        # the user search is the user admin's, which a team manager may not read: a list then
        return self.autocomplete_fields if request.user.is_superuser else []

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ["sso_roles"]
        return ["sso_roles", "questionnaire_admin"]

    # `obj` is the team; None when Django asks in general (the rows' queryset, which the
    # team's key already limits to its own rows).
    def has_view_permission(self, request, obj=None):
        return access.manages(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return access.manages(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return access.manages(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return access.manages(request.user, obj)


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    """Teams and their members: superusers see every team and create or delete them; a team
    manager sees and changes the members of the teams they manage, and nothing else. Every
    change of a membership is kept in its history (see the audit trail below)."""

    list_display = ["name"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        teams = super().get_queryset(request)
        if request.user.is_superuser:
            return teams
        return teams.filter(pk__in=access.teams_for(request.user, access.MANAGE).values("pk"))

    def get_readonly_fields(self, request, obj=None):
        # single sign-on maps group claims to team names: only a superuser renames a team
        return [] if request.user.is_superuser else ["name"]

    def has_module_permission(self, request):
        return access.manages(request.user)

    def has_view_permission(self, request, obj=None):
        return access.manages(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return access.manages(request.user, obj)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "review_interval_days" in form.changed_data:
            # the open approvals' review-by dates follow the team's new interval
            review_cycles_reschedule(team=obj)


@admin.register(Membership.history.model)
class MembershipHistoryAdmin(ReadOnlyAdmin):
    """The audit trail of memberships: who added, removed or changed whose roles in which
    team, and when. A team manager reads their own teams' entries."""

    list_display = [
        "history_date",
        "history_user",
        "history_type",
        "team",
        "user",
        "roles",
        "history_change_reason",
    ]
    list_filter = ["history_type"]  # a team filter would list every team's name
    date_hierarchy = "history_date"

    @admin.display(description="roles after the change")
    def roles(self, obj):
        held = [label for field, label in ROLE_LABELS.items() if getattr(obj, field)]
        return ", ".join(held) or "none"

    def get_queryset(self, request):
        entries = super().get_queryset(request).select_related("team", "user", "history_user")
        if request.user.is_superuser:
            return entries
        return entries.filter(team_id__in=access.teams_for(request.user, access.MANAGE))

    def has_module_permission(self, request):
        return access.manages(request.user)

    def has_view_permission(self, request, obj=None):
        return access.manages(request.user, None if obj is None else obj.team_id)


# People: Django's user admin, without the ways it gives a "change user" permission to become
# anyone. Stock, a staff user allowed to change users can tick their own superuser box, grant
# themselves any permission, or set a superuser's password (the break-glass account) and sign
# in as them; then every team is theirs. Only a superuser grants those, or touches a superuser.
User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PeopleAdmin(UserAdmin):
    ESCALATING = ("is_superuser", "is_staff", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, *self.ESCALATING]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False  # the password page asks this too
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


# --- the audit trail: bank edits and review records, read only ------------------------------


class BankEditAdmin(ReadOnlyAdmin):
    list_display = ["history_date", "history_user", "history_type", "__str__"]
    list_filter = ["history_type", "history_user"]
    date_hierarchy = "history_date"


for model in (
    Questionnaire,
    Dimension,
    Section,
    Question,
    Choice,
    ChoiceWeight,
    Rule,
    Threshold,
    OwnershipCondition,
):
    admin.site.register(model.history.model, BankEditAdmin)


class TeamRecordsAdmin(ReadOnlyAdmin):
    """Review records of the teams where the user reads records (a reviewer, approver or
    auditor there), never another team's: staff status and Django's model permissions give no
    record of their own, and superusers are held to teams like everyone (roles are per team)."""

    team_path = "assessment__team"  # from the listed model to the record's team

    def get_queryset(self, request):
        teams = access.teams_for(request.user, access.VIEW)
        return super().get_queryset(request).filter(**{f"{self.team_path}__in": teams})

    def has_view_permission(self, request, obj=None):
        if obj is None:
            # asked for each of these models on every admin page (the side menu): once will do
            if not hasattr(request, "_assessor_reads_a_team"):
                request._assessor_reads_a_team = access.teams_for(
                    request.user, access.VIEW
                ).exists()
            return request._assessor_reads_a_team
        team_id = obj.team_id if self.team_path == "team" else obj.assessment.team_id
        return access.may(request.user, team_id, access.VIEW)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self.has_view_permission(request)


@admin.register(Assessment)
class AssessmentAdmin(TeamRecordsAdmin, SimpleHistoryAdmin):
    team_path = "team"
    list_display = ["name", "team", "status", "verdict", "revision", "updated_at"]
    list_filter = ["status", "verdict", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    exclude = ["snapshot_document", "snapshot_result"]

    # django-simple-history answers 403 for a record it found and 404 for one it did not, which
    # tells another team's staff that a record exists: both pages answer 404 unless the user
    # reads records in the record's team (a deleted record's team comes from its history).
    def history_view(self, request, object_id, extra_context=None):
        self._404_unless_readable(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._404_unless_readable(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _404_unless_readable(self, request, object_id):
        pk = unquote(object_id)
        if not str(pk).isdigit():
            raise Http404
        team_ids = Assessment.history.filter(id=pk).values_list("team_id", flat=True)
        team_id = Assessment.objects.filter(pk=pk).values_list("team_id", flat=True).first()
        if team_id is None:
            team_id = team_ids.order_by("-history_date").first()
        if team_id is None or not access.may(request.user, team_id, access.VIEW):
            raise Http404


@admin.register(Decision)
class DecisionAdmin(TeamRecordsAdmin):
    list_display = ["created_at", "assessment", "action", "actor"]
    list_filter = ["action"]


@admin.register(ExportRecord)
class ExportRecordAdmin(TeamRecordsAdmin):
    list_display = ["created_at", "assessment", "kind", "user", "sha256"]
    list_filter = ["kind"]


@admin.register(ApprovedReport)
class ApprovedReportAdmin(TeamRecordsAdmin):
    list_display = ["filename", "assessment", "sha256", "created_at"]
    exclude = ["content"]
