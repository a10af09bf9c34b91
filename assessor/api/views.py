"""API views: thin, like the pages. Lookups go through `access` (404 across teams, 403 for a
role that does not allow the action in the record's team), reads through `selectors`, writes
through `services` and `review`, as the pages do."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from assessor.dashboard import filters as listing
from assessor.documents import exchange, pdf
from assessor.records import selectors, services
from assessor.review import services as review
from assessor.teams import access
from assessor.wizard.fields import evidence_field, note_field
from assessor.wizard.forms import SectionForm

from . import serializers as s

if TYPE_CHECKING:  # annotations only: the views read records through selectors
    from assessor.models import Assessment

ERRORS = {
    400: OpenApiResponse(description="A field is wrong; the body names it."),
    401: OpenApiResponse(
        s.ErrorSerializer, description="No token, or a wrong, expired or revoked one."
    ),
    403: OpenApiResponse(
        s.ErrorSerializer, description="Your role in the record's team does not allow it."
    ),
    404: OpenApiResponse(s.ErrorSerializer, description="No such record in your teams."),
}
CONFLICT = {
    409: OpenApiResponse(s.ErrorSerializer, description="The workflow does not allow it now.")
}


@csrf_exempt  # an API client sends no CSRF token; this view changes nothing
@login_not_required
def not_found(request, *args, **kwargs):
    """Any other address under /api/v1/: a JSON 404, not the site's HTML page."""
    return JsonResponse({"detail": "No such API endpoint."}, status=404)


class TokenView:
    """Mixin for every API view. (DRF's views are exempt from the site's sign-in redirect:
    the API answers 401 itself.)"""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"  # records are for the token's holder
        return response


class Pages(PageNumberPagination):
    page_size = 20  # as the dashboard
    page_size_query_param = "page_size"
    max_page_size = 100


def _record(request, pk: int, action: str = access.VIEW, **options) -> Assessment:
    return access.assessment_for(request.user, pk, action, **options)


def _conflict(error: Exception) -> Response:
    return Response({"detail": f"{error} Nothing changed."}, status=status.HTTP_409_CONFLICT)


LIST_FILTERS = [
    OpenApiParameter("verdict", str, enum=list(listing.VERDICT_VALUES)),
    OpenApiParameter("status", str, enum=selectors.AssessmentStatus.values),
    OpenApiParameter("q", str, description="Searched in the workflow name and system."),
    OpenApiParameter(
        "review",
        str,
        enum=list(listing.REVIEW_VALUES),
        description="Approved records in this review state; `lapsed` ones no longer count as "
        "current verdicts.",
    ),
    OpenApiParameter(
        "examples",
        str,
        enum=["1"],
        description="1: include the seeded examples (`is_example`), left out otherwise.",
    ),
]


@extend_schema(tags=["assessments"])
class AssessmentList(TokenView, generics.ListCreateAPIView):
    pagination_class = Pages

    def get_serializer_class(self):
        return (
            s.AssessmentCreateSerializer
            if self.request.method == "POST"
            else s.AssessmentListSerializer
        )

    def get_queryset(self):
        try:
            filters = listing.Filters.from_params(self.request.query_params)
        except listing.InvalidFilters as invalid:
            errors = {name: [message] for name, message in invalid.errors.items()}
            raise ValidationError(errors) from None
        return (
            selectors.assessments_with_approval(
                listing.dashboard_assessments(self.request.user, filters)
            )
            .select_related("team", "owner", "questionnaire", "review_cycle")
            .defer("questionnaire__document", "snapshot_document", "snapshot_result")
        )

    @extend_schema(
        parameters=LIST_FILTERS, responses={200: s.AssessmentListSerializer(many=True), **ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.AssessmentCreateSerializer,
        responses={201: s.AssessmentSerializer, 503: s.ErrorSerializer, **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            assessment = services.assessment_create(owner=request.user, **body.validated_data)
        except services.NoPublishedQuestionnaire:
            return Response(
                {"detail": "No questionnaire is published yet."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(s.AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["assessments"], responses={200: s.AssessmentSerializer, **ERRORS})
class AssessmentDetail(TokenView, APIView):
    def get(self, request, pk: int):
        return Response(s.AssessmentSerializer(_record(request, pk)).data)


def _answers_payload(assessment: Assessment, existing: dict) -> dict:
    steps = selectors.steps_of(assessment, selectors.choices_of(existing))
    return {
        "version": assessment.version,
        "status": assessment.status,
        "answers": {
            key: {"choice": a.choice_key, "note": a.note, "evidence": a.evidence_url}
            for key, a in sorted(existing.items())
        },
        "steps": [
            {
                "number": step.number,
                "key": step.key,
                "title": step.title,
                "questions": list(step.visible_keys),
                "answered": list(step.answered_keys),
                "complete": step.complete,
            }
            for step in steps
        ],
    }


@extend_schema(tags=["answers"], responses={200: s.AnswersSerializer, **ERRORS})
class AnswersRead(TokenView, APIView):
    def get(self, request, pk: int):
        assessment = _record(request, pk)
        return Response(_answers_payload(assessment, selectors.answers_of(assessment)))


def _form_data(answers: dict) -> dict:
    """The body's answers as the wizard's form receives them from a page."""
    data = {}
    for key, answer in answers.items():
        data[key] = answer["choice"]
        data[note_field(key)] = answer["note"]
        data[evidence_field(key)] = answer["evidence"]
    return data


def _form_errors(form: SectionForm) -> dict:
    """The form's errors, by question and part: {"privilege_scope": {"choice": [...]}}."""
    named = {}
    for name, messages in form.errors.items():
        for part, suffix in (("note", "-note"), ("evidence", "-evidence"), ("choice", "")):
            if name.endswith(suffix):
                named.setdefault(name.removesuffix(suffix) if suffix else name, {})[part] = messages
                break
    return named


@extend_schema(
    tags=["answers"],
    request=s.StepAnswersWriteSerializer,
    responses={
        200: s.AnswersSerializer,
        **ERRORS,
        409: OpenApiResponse(s.StaleSerializer, description="Someone saved since your read."),
    },
)
class StepAnswersWrite(TokenView, APIView):
    """Save one step's answers, as the wizard does: the same checks, the same version lock."""

    def put(self, request, pk: int, step: int):
        assessment = _record(request, pk, access.EDIT)
        body = s.StepAnswersWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        answers, expected = body.validated_data["answers"], body.validated_data["version"]
        state = selectors.wizard_step_state(assessment, step)
        if state is None:
            total = len(assessment.document["sections"])
            raise NotFound(f"There is no step {step}: steps run from 1 to {total}.")
        section = state.step.section
        own = {q["key"] for q in section["questions"]}
        foreign = sorted(set(answers) - own)
        if foreign:
            raise ValidationError(
                {"answers": {key: [f"Not a question of step {step}."] for key in foreign}}
            )
        form = SectionForm(_form_data(answers), section=section, conditions={})
        if not form.is_valid():
            raise ValidationError({"answers": _form_errors(form)})
        unasked = selectors.submissions_unasked(
            assessment.scoring_model(),
            selectors.choices_of(state.existing),
            {key: choice for key, (choice, _, _) in form.answers().items()},
        )
        if unasked:
            raise ValidationError({"answers": {k: {"choice": v} for k, v in unasked.items()}})
        try:
            services.answers_save(
                assessment=assessment,
                existing=state.existing,
                submitted=form.answers(),
                expected_version=expected,
                user=request.user,
            )
        except services.WorkflowError as error:
            return _conflict(error)
        except services.StaleVersion as stale:
            return Response(_stale_payload(stale), status=status.HTTP_409_CONFLICT)
        return Response(_answers_payload(assessment, selectors.answers_of(assessment)))


def _stale_payload(stale: services.StaleVersion) -> dict:
    return {
        "detail": "Someone saved this assessment after the version you sent; nothing was saved.",
        "current_version": stale.current_version,
        "changes": [
            {"question": c.question, "text": c.text, "theirs": c.theirs, "yours": c.yours}
            for c in stale.changes
        ],
        "changed_by": stale.by,
    }


@extend_schema(
    tags=["assessments"],
    responses={
        200: OpenApiResponse(s.ResultSerializer, description="As `manage.py assess`."),
        **ERRORS,
    },
)
class AssessmentResult(TokenView, APIView):
    """The result, as `manage.py assess` prints it (verdict, score, rules fired, path...)."""

    def get(self, request, pk: int):
        # The result names neither team nor owner: none joined (see access.assessment_for).
        return Response(selectors.assessment_result_json(_record(request, pk, related=())))


class Decide(TokenView, APIView):
    """A review decision through the web pages' service: same roles, same four-eyes rule."""

    action = ""  # access action needed
    service = None
    body = s.DecisionSerializer

    def post(self, request, pk: int):
        assessment = _record(request, pk, self.action)
        body = self.body(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            type(self).service(assessment=assessment, user=request.user, **body.validated_data)
        except services.WorkflowError as error:
            return _conflict(error)
        except pdf.RenderFailed:
            return Response(
                {"detail": "The approved PDF could not be generated, so nothing changed."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(s.AssessmentSerializer(_record(request, pk)).data)


DECIDE_SCHEMA = extend_schema(
    tags=["review"],
    request=s.DecisionSerializer,
    responses={200: s.AssessmentSerializer, **ERRORS, **CONFLICT},
)


@DECIDE_SCHEMA
class Submit(Decide):
    action, service = access.EDIT, review.assessment_submit


@extend_schema(
    tags=["review"],
    request=s.ApprovalSerializer,
    responses={200: s.AssessmentSerializer, **ERRORS, **CONFLICT},
)
class Approve(Decide):
    action, service = access.APPROVE, review.assessment_approve
    body = s.ApprovalSerializer


@DECIDE_SCHEMA
class Return(Decide):
    action, service = access.APPROVE, review.assessment_return


@extend_schema(
    tags=["exports"],
    responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The JSON export."), **ERRORS},
)
class ExportJson(TokenView, APIView):
    """The JSON export, byte for byte what is recorded in the audit trail."""

    def get(self, request, pk: int):
        assessment = _record(request, pk)
        content = json.dumps(exchange.assessment_export(assessment), ensure_ascii=False).encode()
        services.export_record(
            assessment=assessment, user=request.user, kind=services.ExportKind.JSON, content=content
        )
        return HttpResponse(content, content_type="application/json")


@extend_schema(
    tags=["exports"],
    responses={
        (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
        **ERRORS,
        503: s.ErrorSerializer,
    },
)
class ExportPdf(TokenView, APIView):
    """The PDF: the stored, signed-off bytes once approved, else a fresh render."""

    def get(self, request, pk: int):
        assessment = _record(request, pk)
        try:
            content, filename = pdf.download(assessment, user=request.user)
        except pdf.RenderFailed:
            return Response(
                {"detail": "The PDF could not be generated; try again."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        services.export_record(
            assessment=assessment, user=request.user, kind=services.ExportKind.PDF, content=content
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@extend_schema(tags=["questionnaire"], responses={200: s.QuestionnaireSerializer, **ERRORS})
class PublishedQuestionnaire(TokenView, APIView):
    def get(self, request):
        questionnaire = selectors.questionnaire_current()
        if questionnaire is None:
            raise NotFound("No questionnaire is published yet.")
        return Response(
            {
                "version": questionnaire.version,
                "title": questionnaire.title,
                "published_at": questionnaire.published_at,
                "document": questionnaire.document,
            }
        )
