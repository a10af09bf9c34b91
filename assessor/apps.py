from django.apps import AppConfig


class AssessorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessor"
    verbose_name = "Autonomy assessor"
