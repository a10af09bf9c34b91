"""The two single sign-on pages: start at the provider, and come back from it.

Any failure ends on one page that says what happened, signs nobody in and signs nobody out: a
missing, unknown or replayed state, a token that fails verification, an unreachable provider,
or a user whose groups grant no role here. Never a 500, never an account for a refused sign-in.
"""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.generic import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from assessor.teams.sso import provider_endpoints

logger = logging.getLogger(__name__)

# reason -> (status, heading, explanation); {provider} is the configured provider name.
REFUSALS = {
    "no_group": (
        403,
        "Your account has no role here",
        "Your {provider} account is in no group that grants a role in the Autonomy Assessor, "
        "so you were not signed in. Ask whoever manages access to add you to a group that is "
        "mapped to a team.",
    ),
    "inactive": (
        403,
        "This account is disabled",
        "Your account here has been deactivated, so you were not signed in. Ask an administrator.",
    ),
    "state": (
        400,
        "This sign-in link is no longer valid",
        "The answer from {provider} does not belong to a sign-in started in this browser: its "
        "state is missing, unknown or already used. Nothing was changed. Start again from the "
        "sign-in page.",
    ),
    "token": (
        400,
        "The sign-in could not be verified",
        "The identity token from {provider} failed verification (signature, issuer, audience, "
        "nonce or expiry), so you were not signed in and nothing was changed.",
    ),
    "provider": (
        502,
        "{provider} could not be reached",
        "The identity provider did not answer as expected, so you were not signed in. Try "
        "again later; administrators can still sign in with a local account.",
    ),
    "denied": (
        403,
        "Sign-in was cancelled",
        "{provider} did not sign you in, so nothing was changed here.",
    ),
}


def refusal(request, reason: str) -> TemplateResponse:
    status, heading, text = REFUSALS.get(reason, REFUSALS["token"])
    provider = settings.ASSESSOR_OIDC_PROVIDER_NAME
    context = {"heading": heading.format(provider=provider), "text": text.format(provider=provider)}
    return TemplateResponse(request, "registration/sso_refused.html", context, status=status)


def state_is_known(request) -> bool:
    state = request.GET.get("state")
    return bool(state) and state in request.session.get("oidc_states", {})


class SsoStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with a fresh state, nonce and PKCE challenge."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # endpoints are looked up per request, see get()

    def get(self, request):
        if not settings.ASSESSOR_OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints()["authorization_endpoint"]
        except (requests.RequestException, SuspiciousOperation) as error:
            logger.warning("single sign-on discovery failed: %s", error)
            return refusal(request, "provider")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: the library checks it and signs in, or we say why not."""

    def get(self, request):
        if not settings.ASSESSOR_OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        if not state_is_known(request):
            return refusal(request, "state")
        if request.GET.get("error"):
            # The library signs the current user out here. A link anyone can send (say in an
            # email) would then sign out whoever opens it, break-glass accounts included: only
            # the sign-in this browser started is ended (its state used up), nothing else.
            del request.session["oidc_states"][request.GET["state"]]
            request.session.modified = True
            return refusal(request, "denied")
        try:
            return super().get(request)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError) as error:
            logger.warning("single sign-on refused: %s", error)
            provider_failed = isinstance(error, requests.RequestException)
            return refusal(request, "provider" if provider_failed else "token")

    def login_failure(self):
        return refusal(self.request, getattr(self.request, "sso_refusal", "token"))


start = login_not_required(SsoStartView.as_view())
callback = login_not_required(SsoCallbackView.as_view())
