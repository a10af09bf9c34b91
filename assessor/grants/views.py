"""The grants on the web: a record's grant page (and its token as a file), an approver's
withdrawal, and the two public documents a runtime fetches without an account: the JWKS and
the revocation list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from assessor.teams import access
from assessor.web.decorators import private

from . import selectors, services, signing

# Public keys change only at a rotation, and a retired key stays published for as long as its
# grants live, so a verifier may cache the set for a while.
public_cache = cache_control(public=True, max_age=300)


@private
@require_GET
def grant_page(request, pk: int):
    """The record's grant (issued, revoked, none and why); ?download=jwt gives the token."""
    assessment = access.assessment_for(request.user, pk)
    grant = selectors.grant_of(assessment)
    if request.GET.get("download") == "jwt" and grant is not None:
        response = HttpResponse(grant.token, content_type="application/jwt")
        response["Content-Disposition"] = f'attachment; filename="grant-{grant.jti}.jwt"'
        return response
    context = {
        "assessment": assessment,
        "grant": grant,
        "state": grant.state(timezone.now()) if grant else "",
        "refusal": services.grant_refusal(assessment),
        "can_revoke": access.allowed(assessment, access.APPROVE),
        "can_issue": (
            grant is None
            and assessment.status == "approved"
            and not services.grant_refusal(assessment)
            and access.allowed(assessment, access.APPROVE)
        ),
    }
    return render(request, "assessor/grants/grant.html", context)


@require_POST
def grant_issue(request, pk: int):
    """An approver issues the grant of a record approved before its agent was attached."""
    assessment = access.assessment_for(request.user, pk, access.APPROVE)
    try:
        services.grant_issue_late(
            assessment=assessment,
            user=request.user,
            conditions=request.POST.get("conditions", ""),
        )
    except services.GrantError as error:
        messages.error(request, f"{error} Nothing changed.")
    else:
        messages.success(request, "Grant issued: download its token below.")
    return redirect("grant", pk=pk)


@require_POST
def grant_revoke(request, pk: int):
    """An approver of the record's team withdraws its grant, with a reason."""
    assessment = access.assessment_for(request.user, pk, access.APPROVE)
    try:
        services.grant_revoke(
            assessment=assessment, user=request.user, reason=request.POST.get("reason", "")
        )
    except services.GrantError as error:
        messages.error(request, f"Grant not withdrawn: {error} Nothing changed.")
    else:
        messages.success(request, "Grant withdrawn: runtimes refuse it from now on.")
    return redirect("grant", pk=pk)


@login_not_required
@require_GET
@public_cache
def jwks(request):
    """The public keys that sign grants (RFC 7517 JWK Set)."""
    return JsonResponse(signing.jwks())


@login_not_required
@require_GET
@cache_control(public=True, max_age=60)  # a revocation should reach runtimes within a minute
def revoked(request):
    """The revoked grants still inside their validity window: jti and time only. Public, as a
    certificate revocation list is: a runtime holding only a token and the JWKS can check it,
    and a random jti with a time says nothing about the record, agent or team."""
    return JsonResponse(
        {"revoked": selectors.revocations(), "generated_at": timezone.now().isoformat()}
    )
