"""Single sign-on with OpenID Connect: who the provider says signed in, and their roles.

mozilla-django-oidc runs the authorization code flow (state, nonce and PKCE kept in the
database-backed session, so any worker can take the callback) and checks the ID token's
signature against the provider's JWKS. This backend adds what the library leaves out or
decides differently:

- the ID token's audience (our client id) and issuer are checked too, and `sub`, `exp` and
  `iat` are required;
- users are found by (issuer, `sub`), stored in `SsoIdentity`, never by email;
- group claims decide the roles (settings.ASSESSOR_OIDC_GROUP_ROLES): a user with no mapped
  group is refused, and gets no account;
- memberships follow the claims at each sign-in. Roles SSO granted are listed in
  `Membership.sso_roles`, and only those are ever removed; roles granted by hand stay.
"""

from __future__ import annotations

import logging
import re

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from assessor.models import Membership, SsoIdentity, Team
from assessor.records.validators import without_forbidden_characters
from assessor.teams.roles import QUESTIONNAIRE_ADMIN, ROLE_FIELDS, ROLE_NAMES

logger = logging.getLogger(__name__)

ENDPOINT_SETTINGS = {
    "authorization_endpoint": "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "OIDC_OP_TOKEN_ENDPOINT",
    "userinfo_endpoint": "OIDC_OP_USER_ENDPOINT",
    "jwks_uri": "OIDC_OP_JWKS_ENDPOINT",
}
DISCOVERY_SECONDS = 3600
USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def provider_endpoints() -> dict[str, str]:
    """The provider's endpoints: those set in the environment, the rest from discovery.

    The discovery document is configuration, so each process may keep it for an hour.
    """
    endpoints = {key: getattr(settings, name) for key, name in ENDPOINT_SETTINGS.items()}
    if all(endpoints.values()):
        return endpoints
    issuer = settings.ASSESSOR_OIDC_ISSUER
    key = f"sso-discovery:{issuer}"
    document = cache.get(key)
    if document is None:
        response = requests.get(
            f"{issuer.rstrip('/')}/.well-known/openid-configuration",
            timeout=settings.OIDC_TIMEOUT,
        )
        response.raise_for_status()
        document = response.json()
        if document.get("issuer") != issuer:
            raise SuspiciousOperation(
                f"discovery document names issuer {document.get('issuer')!r}, not {issuer!r}"
            )
        cache.set(key, document, DISCOVERY_SECONDS)
    return {key: value or document.get(key, "") for key, value in endpoints.items()}


def grants_from_groups(groups, mapping) -> dict[str, set[str]]:
    """Team name -> the role fields that the user's groups grant there (empty: no role)."""
    grants: dict[str, set[str]] = {}
    for group in groups:
        for team, role in mapping.get(group, ()):
            grants.setdefault(team, set()).add(ROLE_NAMES[role])
    return grants


def groups_of(claims) -> list[str]:
    groups = claims.get(settings.ASSESSOR_OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    return [group for group in groups if isinstance(group, str)]


def profile_of(claims) -> dict[str, str]:
    """Email and names from the usual claims, with fallbacks."""
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    login = str(claims.get("preferred_username") or claims.get("upn") or "")
    if not email and "@" in login:
        email = login  # Entra ID puts the address there when `email` is not released
    first, last = claims.get("given_name") or "", claims.get("family_name") or ""
    if not (first or last) and claims.get("name"):
        first, _, last = str(claims["name"]).strip().partition(" ")
    profile = {"email": email[:254], "first_name": str(first)[:150], "last_name": str(last)[:150]}
    # claims are text from elsewhere: nothing documents and spreadsheets cannot hold
    return {key: without_forbidden_characters(value, "") for key, value in profile.items()}


def unique_username(claims) -> str:
    """A free username from preferred_username, the email or `sub`; never an existing one."""
    wanted = claims.get("preferred_username") or claims.get("email") or claims["sub"]
    base = USERNAME_UNSAFE.sub("-", str(wanted))[:140] or "sso-user"
    User = get_user_model()
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@transaction.atomic
def memberships_follow_claims(*, user, grants: dict[str, set[str]]) -> None:
    """Make the user's SSO-granted roles exactly `grants`; roles granted by hand stay."""
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in sorted(grants)}
    current = {m.team_id: m for m in Membership.objects.select_for_update().filter(user=user)}
    for team in teams.values():
        current.setdefault(team.pk, Membership(team=team, user=user, sso_roles=[]))
    wanted_by_team = {team.pk: grants[name] for name, team in teams.items()}
    for team_id, membership in current.items():
        wanted = wanted_by_team.get(team_id, set())
        by_hand = {f for f in ROLE_FIELDS if getattr(membership, f)} - set(membership.sso_roles)
        sso_roles = sorted(wanted - by_hand)
        if membership.pk and sso_roles == sorted(membership.sso_roles):
            continue  # nothing SSO manages here changed
        for field in ROLE_FIELDS:
            setattr(membership, field, field in by_hand or field in wanted)
        membership.sso_roles = sso_roles
        if by_hand or wanted:
            membership.save()
        elif membership.pk:
            membership.delete()  # its only roles came from claims that are gone
    bank_admin = any(QUESTIONNAIRE_ADMIN in roles for roles in grants.values())
    if bank_admin and not user.is_staff:
        user.is_staff = True  # the question bank is edited in the back office
        user.save(update_fields=["is_staff"])
    elif (
        user.is_staff
        and not user.is_superuser
        and not Membership.objects.filter(user=user, questionnaire_admin=True).exists()
    ):
        user.is_staff = False  # no questionnaire admin role left, by hand or by claim
        user.save(update_fields=["is_staff"])


class SsoBackend(OIDCAuthenticationBackend):
    """The OIDC backend, configured lazily: Django builds it for every sign-in and for every
    request of an SSO user, so it reads no endpoint (and makes no request) until a callback."""

    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: provider_endpoints()["token_endpoint"])
    OIDC_OP_USER_ENDPOINT = property(lambda self: provider_endpoints()["userinfo_endpoint"])
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: provider_endpoints()["jwks_uri"])

    def authenticate(self, request, **kwargs):
        if request is None or kwargs.get("nonce") is None:
            return None  # a password sign-in, not our callback
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        try:
            return super().verify_token(token, **kwargs)
        except (jwt.PyJWTError, KeyError, TypeError) as error:
            raise SuspiciousOperation(f"ID token refused: {error!r}") from None

    def _verify_jws(self, payload, key):
        """The signature, as the library checks it, plus audience, issuer and lifetime."""
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {algorithm!r}")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.ASSESSOR_OIDC_ISSUER,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
                leeway=60,  # clocks a minute apart
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from None

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload["sub"]:
            self.request.sso_refusal = "token"
            raise SuspiciousOperation("userinfo is about another subject than the ID token")
        claims = {**payload, **userinfo}  # the ID token may carry groups userinfo lacks
        grants = grants_from_groups(groups_of(claims), settings.ASSESSOR_OIDC_GROUP_ROLES)
        identity = self.identity_of(payload)
        if identity is not None and not identity.user.is_active:
            self.request.sso_refusal = "inactive"
            return None
        if identity is None and not grants:
            self.request.sso_refusal = "no_group"
            return None  # no account for someone who may do nothing here
        try:
            user = self.user_follow_claims(identity, payload, claims, grants)
        except IntegrityError:
            # Two first sign-ins of one person at once: the other one created the account
            # (or the team, or the membership); look again and follow the claims once more.
            identity = self.identity_of(payload)
            user = self.user_follow_claims(identity, payload, claims, grants)
        if not grants:
            self.request.sso_refusal = "no_group"
            return None
        return user

    @staticmethod
    def identity_of(payload) -> SsoIdentity | None:
        return (
            SsoIdentity.objects.select_related("user")
            .filter(issuer=payload["iss"], subject=payload["sub"])
            .first()
        )

    @transaction.atomic
    def user_follow_claims(self, identity, payload, claims, grants):
        """Create or update the account and its memberships from the claims."""
        profile = profile_of(claims)
        if identity is None:
            user = self.UserModel.objects.create_user(unique_username(claims), **profile)
            identity = SsoIdentity(user=user, issuer=payload["iss"], subject=payload["sub"])
            logger.info("single sign-on created user %s for %s", user, payload["sub"])
        else:
            user = identity.user
            changed = [name for name, value in profile.items() if getattr(user, name) != value]
            for name in changed:
                setattr(user, name, profile[name])
            if changed:
                user.save(update_fields=changed)
        identity.save()  # records the sign-in time
        memberships_follow_claims(user=user, grants=grants)
        return user

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)  # refuses a deactivated user, as Django does

    # Permissions come from the OneQueryModelBackend; this backend grants none of its own.
    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False
