from django.urls import path

from . import views

urlpatterns = [
    path("", views.boardpack_list, name="boardpack_list"),
    path("<int:pk>/", views.boardpack_detail, name="boardpack_detail"),
    path("<int:pk>/status.json", views.boardpack_status, name="boardpack_status"),
    path("<int:pk>/pack.pdf", views.boardpack_download, name="boardpack_download"),
    path("<int:pk>/issue/", views.boardpack_issue, name="boardpack_issue"),
    path("<int:pk>/regenerate/", views.boardpack_regenerate, name="boardpack_regenerate"),
    path("<int:pk>/delete/", views.boardpack_delete, name="boardpack_delete"),
]
