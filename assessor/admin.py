"""The back office: the question bank, teams, and read-only views of the audit trail."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are evidence: listed and readable, never edited in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["members"]
    search_fields = ["name"]


@admin.register(Questionnaire)
class QuestionnaireAdmin(SimpleHistoryAdmin):
    list_display = ["version", "title", "status", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["content_hash", "created_at", "published_at"]
    exclude = ["document"]


class ChoiceWeightInline(admin.TabularInline):
    model = ChoiceWeight
    extra = 0


@admin.register(Choice)
class ChoiceAdmin(SimpleHistoryAdmin):
    list_display = ["question", "key", "label", "order"]
    list_filter = ["question__questionnaire"]
    inlines = [ChoiceWeightInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    show_change_link = True


@admin.register(Question)
class QuestionAdmin(SimpleHistoryAdmin):
    list_display = ["key", "section", "core", "questionnaire"]
    list_filter = ["questionnaire", "core"]
    search_fields = ["key", "text"]
    inlines = [ChoiceInline]
    filter_horizontal = ["frameworks"]


@admin.register(Rule)
class RuleAdmin(SimpleHistoryAdmin):
    list_display = ["key", "cap", "questionnaire"]
    list_filter = ["questionnaire", "cap"]
    filter_horizontal = ["frameworks"]


for model in (Section, Dimension, Threshold, OwnershipCondition, ChoiceWeight):
    admin.site.register(model, SimpleHistoryAdmin)


@admin.register(FrameworkReference)
class FrameworkReferenceAdmin(admin.ModelAdmin):
    list_display = ["framework", "identifier", "title"]
    list_filter = ["framework"]
    search_fields = ["identifier", "title"]


# --- the audit trail: bank edits and review records, read only ------------------------------


class BankEditAdmin(ReadOnlyAdmin):
    list_display = ["history_date", "history_user", "history_type", "__str__"]
    list_filter = ["history_type", "history_user"]
    date_hierarchy = "history_date"


for model in (Questionnaire, Dimension, Section, Question, Choice, ChoiceWeight, Rule, Threshold,
              OwnershipCondition):  # fmt: skip
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
