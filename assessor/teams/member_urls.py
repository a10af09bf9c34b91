"""The team members pages, under /teams/ (see config/urls.py), for each team's managers."""

from django.urls import path

from . import member_views as views

urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("<int:team>/members/", views.team_members, name="team_members"),
    path("<int:team>/members/<int:user>/", views.member_change, name="team_member"),
]
