"""Django's ModelBackend, reading a user's permissions in one query instead of two.

Every view checks a permission, and the wizard has a budget of ten queries per request; the
stock backend spends two (user permissions, then group permissions). Same rules, same cache.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class OneQueryModelBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).distinct()
            }
        return user_obj._perm_cache


def client_ip(request) -> str | None:
    """The client's address for sign-in throttling.

    Without trusted proxies it is the TCP peer. Behind N trusted proxies, each of which appends
    the address it saw to X-Forwarded-For, it is the Nth entry from the right: entries to its
    left were written by the client and prove nothing.
    """
    hops = settings.ASSESSOR_TRUSTED_PROXIES
    if hops:
        chain = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR")
