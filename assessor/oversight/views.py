"""The review cycle's page actions: ask for a re-review of a standing approval."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from assessor.teams import access

from . import services


@require_POST
def review_request(request, pk: int):
    """A reviewer or approver of the record's team asks for a re-review, with a reason."""
    assessment = access.assessment_for(request.user, pk)  # another team's record: 404
    try:
        services.review_request(
            assessment=assessment, reason=request.POST.get("reason", ""), user=request.user
        )
    except services.ReviewRequestError as error:
        messages.error(request, f"Re-review not requested: {error}")
    else:
        messages.success(
            request, "Re-review requested. Start it with “Reassess as a new revision”."
        )
    return redirect("report", pk=pk)
