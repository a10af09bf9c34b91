"""The evidence pages: a record's files with the upload form, a download, a delete.

Thin like every view: access through `access` and the selectors, writes through services.
The upload view sets its size-limited upload handler before anything reads the body, which
means before the CSRF check (Django's documented way: csrf_exempt outside, csrf_protect on
the part that reads the form)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessor.teams import access

from . import selectors, services, uploads
from .forms import EvidenceForm


@csrf_exempt  # checked by `_upload` once the upload handlers are in place
@require_http_methods(["GET", "POST"])
def evidence_page(request, pk: int):
    if request.method == "POST":
        assessment = access.assessment_for(request.user, pk, access.EDIT)
        if uploads.declared_too_large(request.META):
            # refused before a byte of the body is read
            return _too_large(request, assessment)
        handler = uploads.LimitedUpload(request)
        request.upload_handlers.insert(0, handler)
        return _upload(request, assessment, handler)
    assessment = access.assessment_for(request.user, pk)
    form = None
    if _may_upload(assessment):
        form = EvidenceForm(
            choices=selectors.question_choices(assessment),
            initial={"question": request.GET.get("question", "")},
        )
    return _page(request, assessment, form)


@csrf_protect
def _upload(request, assessment, handler):
    files = request.FILES  # the body is read here (if the CSRF check did not read it already)
    if handler.too_large:
        return _too_large(request, assessment)
    form = EvidenceForm(request.POST, files, choices=selectors.question_choices(assessment))
    if not form.is_valid():
        return _page(request, assessment, form, status=400)
    data = form.cleaned_data
    try:
        evidence = services.evidence_add(
            assessment=assessment,
            user=request.user,
            upload=data["file"],
            question_key=data["question"],
            effective_on=data["effective_on"],
            expires_on=data["expires_on"],
            note=data["note"],
        )
    except (services.EvidenceError, ValidationError) as error:
        form.add_error("file", " ".join(getattr(error, "messages", [str(error)])))
        return _page(request, assessment, form, status=400)
    messages.success(request, f"Attached '{evidence.original_name}' (SHA-256 {evidence.sha256}).")
    return redirect(_back(request.POST.get("step"), assessment.pk, evidence.question_key))


def _too_large(request, assessment):
    """The refusal, with an empty form to attach a smaller file (the refused body is not
    read, so nothing of it can be shown again)."""
    form = EvidenceForm(choices=selectors.question_choices(assessment))
    error, step = services.too_large_message(), request.GET.get("step", "")  # never the body
    return _page(request, assessment, form, error=error, status=413, step=step)


def _back(step: str | None, pk: int, question_key: str | None) -> str:
    """The wizard step the upload came from (at its question), else the evidence page."""
    if step and step.isdigit():
        anchor = f"#q-{question_key}" if question_key else ""
        return reverse("wizard", args=[pk, int(step)]) + anchor
    return reverse("evidence", args=[pk])


def _may_upload(assessment) -> bool:
    return not assessment.is_locked and access.allowed(assessment, access.EDIT)


def _page(request, assessment, form, *, error: str = "", status: int = 200, step=None):
    if error:
        messages.error(request, error)
    if step is None:  # the form's action carries it too, for a refusal that leaves the body unread
        step = request.GET.get("step") or request.POST.get("step", "")
    context = {
        "assessment": assessment,
        "form": form,
        "files": selectors.evidence_appendix(assessment),
        "may_change": _may_upload(assessment),
        "step": step,
        "max_size": settings.ASSESSOR_EVIDENCE_MAX_BYTES,
    }
    return render(request, "assessor/evidence/evidence.html", context, status=status)


@require_GET
def evidence_download(request, pk: int, evidence: int):
    _, item = selectors.evidence_for(request.user, pk, evidence)
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.original_name,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def evidence_delete(request, pk: int, evidence: int):
    assessment, item = selectors.evidence_for(request.user, pk, evidence, access.EDIT)
    try:
        services.evidence_delete(evidence=item, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Deleted '{item.original_name}'.")
    return redirect("evidence", pk=assessment.pk)
