from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("assessments/export.csv", views.dashboard_export, {"fmt": "csv"}, name="export_csv"),
    path("assessments/export.xlsx", views.dashboard_export, {"fmt": "xlsx"}, name="export_xlsx"),
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
    path("audit/records/", views.audit_records, name="audit_records"),
]
