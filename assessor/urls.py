"""The team records' URLconf: one list, each view from its concern's package (the studio's own
routes are in assessor/studio/urls.py, the API's in assessor/api/urls.py)."""

from django.urls import path

from assessor.dashboard import views as dashboard
from assessor.documents import views as documents
from assessor.grants import views as grants
from assessor.oversight import views as oversight
from assessor.review import views as review
from assessor.wizard import views as wizard

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("assessments/export.csv", dashboard.dashboard_export, {"fmt": "csv"}, name="export_csv"),
    path(
        "assessments/export.xlsx", dashboard.dashboard_export, {"fmt": "xlsx"}, name="export_xlsx"
    ),
    path("assessments/new/", wizard.assessment_new, name="assessment_new"),
    path("assessments/import/", documents.import_upload, name="import_upload"),
    path("assessments/<int:pk>/", wizard.assessment_resume, name="resume"),
    path("assessments/<int:pk>/step/<int:step>/", wizard.wizard, name="wizard"),
    path("assessments/<int:pk>/step/<int:step>/preview/", wizard.wizard_preview, name="preview"),
    path("assessments/<int:pk>/report/", documents.report, name="report"),
    path("assessments/<int:pk>/report.pdf", documents.report_pdf, name="report_pdf"),
    path("assessments/<int:pk>/export.json", documents.export_json, name="export_json"),
    path("assessments/<int:pk>/history/", documents.assessment_history, name="history"),
    path("assessments/<int:pk>/submit/", review.assessment_submit, name="submit"),
    path("assessments/<int:pk>/approve/", review.assessment_approve, name="approve"),
    path("assessments/<int:pk>/return/", review.assessment_return, name="return"),
    path("assessments/<int:pk>/reassess/", review.assessment_reassess, name="reassess"),
    path(
        "assessments/<int:pk>/review-request/",
        oversight.review_request,
        name="review_request",
    ),
    path(
        "assessments/<int:pk>/compare/<int:other>/",
        documents.assessment_compare,
        name="compare",
    ),
    path("assessments/<int:pk>/grant/", grants.grant_page, name="grant"),
    path("assessments/<int:pk>/grant/issue/", grants.grant_issue, name="grant_issue"),
    path("assessments/<int:pk>/grant/revoke/", grants.grant_revoke, name="grant_revoke"),
    path("audit/records/", documents.audit_records, name="audit_records"),
]
