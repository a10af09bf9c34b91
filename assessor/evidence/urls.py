"""The evidence pages of a record (assembled into assessor/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("assessments/<int:pk>/evidence/", views.evidence_page, name="evidence"),
    path(
        "assessments/<int:pk>/evidence/<int:evidence>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path(
        "assessments/<int:pk>/evidence/<int:evidence>/delete/",
        views.evidence_delete,
        name="evidence_delete",
    ),
]
