"""The admin site: Django's own, answering 403 to signed-in users who are not staff.

Reviewers, approvers and auditors have no business in the back office; a login page would
suggest they could sign in differently, so they get a plain refusal.
"""

from django.contrib.admin import AdminSite
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path


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

    def get_urls(self):
        # Django's "view on site" redirects to any record that exists, which would tell another
        # team's staff that it does; this one answers 404 for a record its model admin hides.
        urls = [u for u in super().get_urls() if getattr(u, "name", None) != "view_on_site"]
        view_on_site = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [view_on_site, *urls]

    def view_on_site(self, request, content_type_id, object_id):
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            model_admin = self._registry.get(model)
            if model_admin and not model_admin.get_queryset(request).filter(pk=object_id).exists():
                raise Http404
        except (ObjectDoesNotExist, ValueError, ValidationError) as missing:
            raise Http404 from missing
        return contenttype_views.shortcut(request, content_type_id, object_id)
