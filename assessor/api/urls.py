from django.urls import path, re_path

from ..portfolio import api as portfolio
from ..register import api as register
from . import docs, views

urlpatterns = [
    path("assessments/", views.AssessmentList.as_view(), name="api-assessments"),
    path("assessments/<int:pk>/", views.AssessmentDetail.as_view(), name="api-assessment"),
    path("assessments/<int:pk>/answers/", views.AnswersRead.as_view(), name="api-answers"),
    path(
        "assessments/<int:pk>/answers/<int:step>/",
        views.StepAnswersWrite.as_view(),
        name="api-step-answers",
    ),
    path("assessments/<int:pk>/result/", views.AssessmentResult.as_view(), name="api-result"),
    path("assessments/<int:pk>/submit/", views.Submit.as_view(), name="api-submit"),
    path("assessments/<int:pk>/approve/", views.Approve.as_view(), name="api-approve"),
    path("assessments/<int:pk>/return/", views.Return.as_view(), name="api-return"),
    path("assessments/<int:pk>/export/", views.ExportJson.as_view(), name="api-export"),
    path("assessments/<int:pk>/pdf/", views.ExportPdf.as_view(), name="api-pdf"),
    path("agents/", register.AgentList.as_view(), name="api-agents"),
    path("agents/<int:pk>/", register.AgentDetail.as_view(), name="api-agent"),
    path("agents/<int:pk>/identities/", register.IdentityList.as_view(), name="api-identities"),
    path(
        "agents/<int:pk>/identities/<int:identity>/",
        register.IdentityDetail.as_view(),
        name="api-identity",
    ),
    path("portfolio/", portfolio.PortfolioFigures.as_view(), name="api-portfolio"),
    path("questionnaire/", views.PublishedQuestionnaire.as_view(), name="api-questionnaire"),
    path("schema/", docs.schema, name="api-schema"),
    path("docs/", docs.docs, name="api-docs"),
    re_path(r"", views.not_found),  # last: anything else under /api/v1/
]
