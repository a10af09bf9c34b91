from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AssessorAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the assessor's site class (see admin_site.py)."""

    default = False
    default_site = "assessor.admin_site.AssessorAdminSite"


class AssessorConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessor"
    verbose_name = "Autonomy assessor"
