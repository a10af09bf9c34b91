"""Board pack pages: the list and the new pack form, a pack's page with its progress, the JSON
status it polls, the download, issue, regenerate and delete.

Every lookup goes through `selectors.boardpack_for`, which answers None for a pack with any
team the reader may not read: 404, as for a pack that does not exist.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessor.web.decorators import private

from . import selectors, services
from .forms import BoardPackForm


def _pack(user, pk: int):
    pack = selectors.boardpack_for(user, pk)
    if pack is None:
        raise Http404("No such board pack.")
    return pack


@private
@require_http_methods(["GET", "POST"])
def boardpack_list(request):
    teams = selectors.boardpack_teams(request.user)
    form = BoardPackForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not teams.exists():
            raise PermissionDenied(
                "Board packs are for approvers, auditors and team managers: you hold none of "
                "these roles in any team."
            )
        if form.is_valid():
            pack = services.boardpack_create(
                user=request.user,
                title=form.cleaned_data["title"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                teams=form.cleaned_data["teams"],
            )
            return redirect("boardpack_detail", pk=pack.pk)
    context = {
        "packs": selectors.boardpacks_for(request.user),
        "form": form,
        "may_create": teams.exists(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "assessor/boardpacks/list.html", context, status=status)


@private
@require_GET
def boardpack_detail(request, pk: int):
    pack = _pack(request.user, pk)
    context = {
        "pack": pack,
        "state": selectors.boardpack_status(pack),
        "may_issue": selectors.boardpack_issuable_by(request.user, pack),
        "previous": selectors.boardpack_previous(pack),
    }
    return render(request, "assessor/boardpacks/detail.html", context)


@private
@require_GET
def boardpack_status(request, pk: int):
    return JsonResponse(selectors.boardpack_status(_pack(request.user, pk)))


@private
@require_GET
def boardpack_download(request, pk: int):
    """The stored PDF, checked against its fingerprint before it is served."""
    pack = _pack(request.user, pk)
    if not pack.pdf:
        raise Http404("This pack has no PDF yet.")
    with pack.pdf.open("rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != pack.sha256:
        # never serve a file the board's minuted fingerprint does not describe
        return render(request, "assessor/boardpacks/mismatch.html", {"pack": pack}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    state = "issued" if pack.is_issued else "draft"
    name = f"board-pack-{slugify(pack.title)[:60] or pack.pk}-{state}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _refused(request, pack, problem) -> HttpResponse:
    messages.error(request, " ".join(getattr(problem, "messages", [str(problem)])))
    return redirect("boardpack_detail", pk=pack.pk)


@private
@require_POST
def boardpack_issue(request, pk: int):
    pack = _pack(request.user, pk)
    try:
        services.boardpack_issue(pack=pack, user=request.user)
    except ValidationError as problem:
        return _refused(request, pack, problem)
    messages.success(request, "Issuing: the final PDF, naming you, is being generated.")
    return redirect("boardpack_detail", pk=pack.pk)


@private
@require_POST
def boardpack_regenerate(request, pk: int):
    pack = _pack(request.user, pk)
    try:
        services.boardpack_regenerate(pack=pack)
    except ValidationError as problem:
        return _refused(request, pack, problem)
    return redirect("boardpack_detail", pk=pack.pk)


@private
@require_POST
def boardpack_delete(request, pk: int):
    pack = _pack(request.user, pk)
    try:
        services.boardpack_delete(pack=pack)
    except ValidationError as problem:
        return _refused(request, pack, problem)
    messages.success(request, f"Deleted the draft “{pack.title}”.")
    return redirect("boardpack_list")
