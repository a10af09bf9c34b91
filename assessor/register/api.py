"""The register in the API: `/api/v1/agents/` and each agent's identities. Same token, team
and role rules as the pages (404 outside the token holder's teams, 403 for a role that may
only read); a bad value is a 400 naming the field."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from assessor.teams import access

from ..api.views import ERRORS, Pages, TokenView
from . import selectors, services
from .models import Agent
from .serializers import (
    AgentSerializer,
    AgentWriteSerializer,
    IdentitySerializer,
)


def _bad_request(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"detail": error.messages})


FILTERS = [
    OpenApiParameter("team", int, description="A team's id."),
    OpenApiParameter("status", str, enum=list(Agent.Status.values)),
    OpenApiParameter("platform", str, description="The platform, as listed (any case)."),
    OpenApiParameter(
        "verdict",
        str,
        enum=list(selectors.VERDICT_VALUES),
        description="Agents with a workflow at this current verdict; none: with no current one.",
    ),
    OpenApiParameter("owner", int, description="The accountable owner's user id."),
    OpenApiParameter("q", str, description="Searched in the name and purpose."),
]


@extend_schema(tags=["agents"])
class AgentList(TokenView, generics.ListCreateAPIView):
    pagination_class = Pages
    serializer_class = AgentSerializer

    def get_queryset(self):
        try:
            filters = selectors.AgentFilters.from_params(self.request.query_params)
        except selectors.InvalidFilters as invalid:
            raise ValidationError({k: [v] for k, v in invalid.errors.items()}) from None
        return selectors.register_agents(self.request.user, filters).prefetch_related("identities")

    @extend_schema(parameters=FILTERS, responses={200: AgentSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        context = {**self.get_serializer_context(), "workflows": selectors.page_workflows(page)}
        return self.get_paginated_response(AgentSerializer(page, many=True, context=context).data)

    @extend_schema(request=AgentWriteSerializer, responses={201: AgentSerializer, **ERRORS})
    def post(self, request, *args, **kwargs):
        body = AgentWriteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        try:
            agent = services.agent_create(user=request.user, **body.validated_data)
        except DjangoValidationError as error:
            raise _bad_request(error) from None
        return Response(AgentSerializer(agent).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["agents"])
class AgentDetail(TokenView, APIView):
    @extend_schema(responses={200: AgentSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(AgentSerializer(selectors.agent_for(request.user, pk)).data)

    @extend_schema(request=AgentWriteSerializer, responses={200: AgentSerializer, **ERRORS})
    def patch(self, request, pk: int):
        agent = selectors.agent_for(request.user, pk, access.EDIT)
        body = AgentWriteSerializer(
            agent, data=request.data, partial=True, context={"request": request}
        )
        body.is_valid(raise_exception=True)
        try:
            services.agent_update(user=request.user, agent=agent, **body.validated_data)
        except DjangoValidationError as error:
            raise _bad_request(error) from None
        return Response(AgentSerializer(agent).data)


@extend_schema(tags=["agents"])
class IdentityList(TokenView, APIView):
    @extend_schema(responses={200: IdentitySerializer(many=True), **ERRORS})
    def get(self, request, pk: int):
        agent = selectors.agent_for(request.user, pk)
        return Response(IdentitySerializer(agent.identities.all(), many=True).data)

    @extend_schema(request=IdentitySerializer, responses={201: IdentitySerializer, **ERRORS})
    def post(self, request, pk: int):
        agent = selectors.agent_for(request.user, pk, access.EDIT)
        body = IdentitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            identity = services.identity_create(
                user=request.user, agent=agent, **body.validated_data
            )
        except DjangoValidationError as error:
            raise _bad_request(error) from None
        return Response(IdentitySerializer(identity).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["agents"])
class IdentityDetail(TokenView, APIView):
    def _found(self, request, pk, identity, action=access.VIEW):
        agent = selectors.agent_for(request.user, pk, action)
        return selectors.identity_for(agent, identity)

    @extend_schema(responses={200: IdentitySerializer, **ERRORS})
    def get(self, request, pk: int, identity: int):
        return Response(IdentitySerializer(self._found(request, pk, identity)).data)

    @extend_schema(request=IdentitySerializer, responses={200: IdentitySerializer, **ERRORS})
    def patch(self, request, pk: int, identity: int):
        found = self._found(request, pk, identity, access.EDIT)
        body = IdentitySerializer(found, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        try:
            services.identity_update(user=request.user, identity=found, **body.validated_data)
        except DjangoValidationError as error:
            raise _bad_request(error) from None
        return Response(IdentitySerializer(found).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, pk: int, identity: int):
        found = self._found(request, pk, identity, access.EDIT)
        services.identity_delete(user=request.user, identity=found)
        return Response(status=status.HTTP_204_NO_CONTENT)
