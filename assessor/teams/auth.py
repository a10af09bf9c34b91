"""Django's ModelBackend, reading a user's permissions in one query instead of two, plus the
question bank's permissions for a questionnaire admin (a role held per team, see roles.py).

Only the back office asks Django's permissions (records are checked per team in access.py).
The stock backend spends two queries (user permissions, then group permissions); this one
reads those and the questionnaire admin role in one. Same rules, same cache.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q

from assessor.models import Membership
from assessor.teams.roles import BANK_CODENAMES, PORTFOLIO_ROLES

UserModel = get_user_model()


def reads_a_portfolio() -> Exists:
    """Whether the user (the outer row) reads some team's portfolio: approver, auditor or team
    manager there. Annotated on the session's user so the menu needs no query of its own."""
    holds = Q()
    for role in PORTFOLIO_ROLES:
        holds |= Q(**{role: True})
    return Exists(Membership.objects.filter(holds, user=OuterRef("pk")))


class OneQueryModelBackend(ModelBackend):
    def get_user(self, user_id):
        # The one query that loads a signed-in user on every request also answers whether the
        # menu shows the portfolio (read fresh each request, so a role change shows at once).
        users = UserModel._default_manager.annotate(reads_portfolio=reads_a_portfolio())
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                bank_admin = Exists(
                    Membership.objects.filter(user=user_obj, questionnaire_admin=True)
                )
                permissions = permissions.filter(
                    Q(user=user_obj)
                    | Q(group__user=user_obj)
                    | (
                        Q(content_type__app_label="assessor", codename__in=BANK_CODENAMES)
                        & bank_admin
                    )
                )
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
