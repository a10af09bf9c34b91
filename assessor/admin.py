"""The back office: the question bank, versions, impact preview and the audit trail.

Only draft versions can be edited. Every save of a bank row recompiles the version's document
and validates the whole bank; anything invalid is refused with the validator's message and
nothing is saved (the admin view's transaction is rolled back).
"""

from __future__ import annotations

from functools import partial

import yaml
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import bank, impact, loading
from .forms import ConditionField, StoredJSONField, WeightField
from .models import (
    ApprovedReport,
    Assessment,
    Choice,
    ChoiceWeight,
    Decision,
    Dimension,
    ExportRecord,
    FrameworkReference,
    OwnershipCondition,
    Question,
    Questionnaire,
    Rule,
    Section,
    Team,
    Threshold,
)
from .validators import DIMENSION_WEIGHT_RANGE, POINTS_RANGE


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


class DraftOnlyMixin:
    """Bank rows are edited only in draft versions, and each save is validated as a whole."""

    def has_change_permission(self, request, obj=None):
        questionnaire = questionnaire_of(obj)
        if questionnaire is not None and questionnaire.status != Questionnaire.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        questionnaire = questionnaire_of(obj)
        if questionnaire is not None and questionnaire.status != Questionnaire.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Questionnaire:
            kwargs["queryset"] = Questionnaire.objects.filter(status=Questionnaire.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        loading.questionnaire_refresh(questionnaire_of(form.instance))

    def delete_model(self, request, obj):
        questionnaire = questionnaire_of(obj)
        super().delete_model(request, obj)
        loading.questionnaire_refresh(questionnaire)

    def _refuse_invalid_bank(self, view, request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except bank.BankError as error:
            # Raised inside the admin's transaction, which is therefore rolled back.
            messages.error(
                request, "Not saved: the bank would become invalid. " + " ".join(error.problems)
            )
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._refuse_invalid_bank(super().changeform_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._refuse_invalid_bank(super().delete_view, request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._refuse_invalid_bank(super().changelist_view, request, *args, **kwargs)


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


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["questionnaire", "key", "cap", "reason", "condition", "order", "frameworks"]
        help_texts = {
            "condition": 'e.g. {"question": "approval_chain", "in": ["unclear"]}, or '
            '{"all": [...]} / {"any": [...]} of such conditions.'
        }

    def clean(self):
        cleaned = super().clean()
        questionnaire, condition = cleaned.get("questionnaire"), cleaned.get("condition")
        if questionnaire is not None and condition is not None:
            checker = bank._Checker(bank.load_catalog())
            checker.condition("condition", condition, _choices_by_question(questionnaire))
            for problem in checker.problems:
                self.add_error("condition", problem)
        return cleaned


class ThresholdForm(forms.ModelForm):
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


class ChoiceWeightInline(BankFieldsMixin, admin.TabularInline):
    model = ChoiceWeight
    extra = 0


class ChoiceInline(admin.TabularInline):
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
            "impact": impact.impact_preview(draft),
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
        try:
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


def bank_yaml(questionnaire: Questionnaire) -> str:
    return yaml.safe_dump(
        loading.bank_from_rows(questionnaire), sort_keys=False, allow_unicode=True, width=100
    )


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
    list_display = ["key", "section", "core", "questionnaire"]
    list_filter = ["questionnaire", "core"]
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
    list_display = ["key", "cap", "questionnaire"]
    list_filter = ["questionnaire", "cap"]
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
class FrameworkReferenceAdmin(admin.ModelAdmin):
    list_display = ["framework", "identifier", "title"]
    list_filter = ["framework"]
    search_fields = ["identifier", "title"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["members"]
    search_fields = ["name"]


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


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["name", "team", "status", "verdict", "revision", "updated_at"]
    list_filter = ["status", "verdict", "team"]
    search_fields = ["name"]
    exclude = ["snapshot_document", "snapshot_result"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "assessment", "action", "actor"]
    list_filter = ["action"]


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "assessment", "kind", "user", "sha256"]
    list_filter = ["kind"]


@admin.register(ApprovedReport)
class ApprovedReportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "assessment", "sha256", "created_at"]
    exclude = ["content"]
