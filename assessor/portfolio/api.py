"""The portfolio in the API: `/api/v1/portfolio/`, the page's figures (`Portfolio.as_json()`)
under the same filters as query parameters. Token auth and team rules as the rest of the API:
403 for a person who reads no team's portfolio, 400 naming the field for a bad filter (a team
the token's holder may not read among them)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.views import ERRORS, TokenView
from . import selectors
from .views import filters_for

FILTERS = [
    OpenApiParameter(
        "team", int, many=True, description="A team's id; repeat for several. None: all yours."
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: see docs)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (default: today)."),
    OpenApiParameter("task_type", str, description="A task_type choice key."),
    OpenApiParameter("environment", str, description="An environment_tier choice key."),
    OpenApiParameter("examples", bool, description="Include the example assessments."),
]


@extend_schema(tags=["portfolio"])
class PortfolioFigures(TokenView, APIView):
    @extend_schema(parameters=FILTERS, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        form = filters_for(request.user, request.query_params)
        if not form.is_valid():
            raise ValidationError(form.error_reasons())
        return Response(selectors.portfolio_figures(**form.figures_arguments()).as_json())
