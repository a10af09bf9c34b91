"""The questionnaire studio, under /questionnaires/ (see config/urls.py): the question bank's
own pages, for questionnaire admins, apart from the team records' routes in assessor/urls.py."""

from django.urls import path

from assessor.studio import views as studio

urlpatterns = [
    path("", studio.versions, name="studio_versions"),
    path("new-draft/", studio.draft_new, name="studio_draft_new"),
    path("<str:version>/", studio.version_page, name="studio_version"),
    path("<str:version>/changes/", studio.changes, name="studio_changes"),
    path("<str:version>/publish/", studio.publish, name="studio_publish"),
    path(
        "<str:version>/thresholds/",
        studio.thresholds_save,
        name="studio_thresholds",
    ),
    path(
        "<str:version>/sections/<slug:key>/",
        studio.section_save,
        name="studio_section",
    ),
    path(
        "<str:version>/dimensions/<slug:key>/",
        studio.dimension_save,
        name="studio_dimension",
    ),
    path(
        "<str:version>/questions/<slug:key>/",
        studio.question_save,
        name="studio_question",
    ),
    path(
        "<str:version>/questions/<slug:key>/weights/",
        studio.weights,
        name="studio_weights",
    ),
    path(
        "<str:version>/questions/<slug:key>/weights/preview.json",
        studio.weights_preview,
        name="studio_weights_preview",
    ),
    path(
        "<str:version>/questions/<slug:key>/follow-up/",
        studio.follow_up_edit,
        name="studio_follow_up",
    ),
    path("<str:version>/rules/new/", studio.rule_edit, name="studio_rule_new"),
    path("<str:version>/rules/<slug:key>/", studio.rule_edit, name="studio_rule"),
    path(
        "<str:version>/rules/<slug:key>/delete/",
        studio.rule_delete,
        name="studio_rule_delete",
    ),
    path(
        "<str:version>/conditions/<slug:key>/",
        studio.condition_edit,
        name="studio_condition",
    ),
]
