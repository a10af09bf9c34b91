"""The admin site: Django's own, answering 403 to signed-in users who are not staff.

Reviewers, approvers and auditors have no business in the back office; a login page would
suggest they could sign in differently, so they get a plain refusal.
"""

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied


class AssessorAdminSite(AdminSite):
    """Django's admin site, answering 403 (not a login page) to signed-in non-staff users."""

    site_header = "Autonomy Assessor back office"
    site_title = "Autonomy Assessor admin"
    index_title = "Question bank, versions and audit trail"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        guarded.__dict__.update(inner.__dict__)
        return guarded
