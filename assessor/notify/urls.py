from django.urls import path

from . import views

urlpatterns = [
    path("<int:team_id>/webhooks/", views.webhook_list, name="webhook_list"),
    path("<int:team_id>/webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
    path("<int:team_id>/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("<int:team_id>/webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
]
