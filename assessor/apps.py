from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import m2m_changed


class AssessorAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the assessor's site class (see admin_site.py)."""

    default = False
    default_site = "assessor.admin_site.AssessorAdminSite"


class AssessorConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessor"
    verbose_name = "Autonomy assessor"

    def ready(self):
        from assessor.records.guard import guard_framework_links

        from .models import Dimension, Question, Questionnaire, Rule
        from .notify import receivers
        from .portfolio import receivers as portfolio_receivers

        receivers.connect()  # events owe reminders and webhooks (assessor/notify/)
        portfolio_receivers.connect()  # an approval stores its control gaps (assessor/portfolio/)

        # The framework links of a published or retired version do not change either.
        for through in (
            Questionnaire.baseline_frameworks.through,
            Dimension.frameworks.through,
            Question.frameworks.through,
            Rule.frameworks.through,
        ):
            m2m_changed.connect(
                guard_framework_links, sender=through, dispatch_uid=f"frozen-{through.__name__}"
            )
