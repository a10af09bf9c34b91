from django.urls import path

from . import views

urlpatterns = [
    path("agents/", views.agent_list, name="agent_list"),
    path("agents/new/", views.agent_new, name="agent_new"),
    path("agents/<int:pk>/", views.agent_detail, name="agent_detail"),
    path("agents/<int:pk>/edit/", views.agent_edit, name="agent_edit"),
    path("agents/<int:pk>/identities/new/", views.identity_new, name="identity_new"),
    path("agents/<int:pk>/identities/<int:identity>/", views.identity_edit, name="identity_edit"),
    path(
        "agents/<int:pk>/identities/<int:identity>/delete/",
        views.identity_delete,
        name="identity_delete",
    ),
    path("assessments/<int:pk>/agent/", views.assessment_agent, name="assessment_agent"),
]
