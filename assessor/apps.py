from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssessorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessor"
    verbose_name = "Autonomy assessor"

    def ready(self):
        from .roles import ensure_groups

        # After the permissions exist, so the groups get them (migrate creates them last).
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="assessor-roles")
