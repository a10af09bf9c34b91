from django.urls import path

from . import studio_views as studio
from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("assessments/new/", views.assessment_new, name="assessment_new"),
    path("assessments/import/", views.import_upload, name="import_upload"),
    path("assessments/<int:pk>/", views.assessment_resume, name="resume"),
    path("assessments/<int:pk>/step/<int:step>/", views.wizard, name="wizard"),
    path("assessments/<int:pk>/step/<int:step>/preview/", views.wizard_preview, name="preview"),
    path("assessments/<int:pk>/report/", views.report, name="report"),
    path("assessments/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("assessments/<int:pk>/export.json", views.export_json, name="export_json"),
    path("assessments/<int:pk>/history/", views.assessment_history, name="history"),
    path("assessments/<int:pk>/submit/", views.assessment_submit, name="submit"),
    path("assessments/<int:pk>/approve/", views.assessment_approve, name="approve"),
    path("assessments/<int:pk>/return/", views.assessment_return, name="return"),
    path("assessments/<int:pk>/reassess/", views.assessment_reassess, name="reassess"),
    path("assessments/<int:pk>/compare/<int:other>/", views.assessment_compare, name="compare"),
    # The questionnaire studio (questionnaire admins only).
    path("questionnaires/", studio.versions, name="studio_versions"),
    path("questionnaires/new-draft/", studio.draft_new, name="studio_draft_new"),
    path("questionnaires/<str:version>/", studio.version_page, name="studio_version"),
    path("questionnaires/<str:version>/changes/", studio.changes, name="studio_changes"),
    path("questionnaires/<str:version>/publish/", studio.publish, name="studio_publish"),
    path(
        "questionnaires/<str:version>/thresholds/",
        studio.thresholds_save,
        name="studio_thresholds",
    ),
    path(
        "questionnaires/<str:version>/sections/<slug:key>/",
        studio.section_save,
        name="studio_section",
    ),
    path(
        "questionnaires/<str:version>/dimensions/<slug:key>/",
        studio.dimension_save,
        name="studio_dimension",
    ),
    path(
        "questionnaires/<str:version>/questions/<slug:key>/",
        studio.question_save,
        name="studio_question",
    ),
    path(
        "questionnaires/<str:version>/questions/<slug:key>/weights/",
        studio.weights,
        name="studio_weights",
    ),
    path(
        "questionnaires/<str:version>/questions/<slug:key>/weights/preview.json",
        studio.weights_preview,
        name="studio_weights_preview",
    ),
    path(
        "questionnaires/<str:version>/questions/<slug:key>/follow-up/",
        studio.follow_up_edit,
        name="studio_follow_up",
    ),
    path("questionnaires/<str:version>/rules/new/", studio.rule_edit, name="studio_rule_new"),
    path("questionnaires/<str:version>/rules/<slug:key>/", studio.rule_edit, name="studio_rule"),
    path(
        "questionnaires/<str:version>/rules/<slug:key>/delete/",
        studio.rule_delete,
        name="studio_rule_delete",
    ),
    path(
        "questionnaires/<str:version>/conditions/<slug:key>/",
        studio.condition_edit,
        name="studio_condition",
    ),
]
