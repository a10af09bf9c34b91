"""The grants in the API: the grants of the token holder's teams, one grant, the check of a
token, and the OPA data bundle. Same token and team rules as the rest of `/api/v1/`."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.views import ERRORS, Pages, TokenView
from . import selectors, signing


class GrantSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    jti = serializers.UUIDField()
    assessment = serializers.IntegerField(source="assessment_id")
    agent = serializers.IntegerField(source="agent_id")
    team = serializers.CharField(source="assessment.team.name")
    verdict = serializers.ChoiceField(choices=["supervised", "owner"])
    conditions = serializers.CharField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()
    kid = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "revoked"])
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoke_reason = serializers.CharField()
    claims = serializers.JSONField()
    token = serializers.CharField(help_text="The compact JWS (EdDSA, typ autonomy-grant+jwt).")


class VerifyRequestSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="A compact JWS grant.", trim_whitespace=True)


class VerifyResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    reason = serializers.CharField(
        help_text="valid, or why not: bad signature, unknown kid, expired, not yet valid, revoked."
    )
    kid = serializers.CharField()
    claims = serializers.JSONField()


@extend_schema(tags=["grants"])
class GrantList(TokenView, generics.ListAPIView):
    """The autonomy grants of the teams where the token's holder reads records."""

    pagination_class = Pages
    serializer_class = GrantSerializer

    def get_queryset(self):
        return selectors.grants_for(self.request.user)

    @extend_schema(responses={200: GrantSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["grants"])
class GrantDetail(TokenView, APIView):
    @extend_schema(responses={200: GrantSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(GrantSerializer(selectors.grant_get(request.user, pk)).data)


@extend_schema(tags=["grants"])
class GrantVerify(TokenView, APIView):
    """Check one token: signature against the published keys, validity window, revocation.
    200 with valid true or false and the reason; 400 when the input is not a grant at all."""

    @extend_schema(
        request=VerifyRequestSerializer, responses={200: VerifyResultSerializer, **ERRORS}
    )
    def post(self, request):
        body = VerifyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            verdict = signing.token_verify(body.validated_data["token"])
        except signing.MalformedToken as error:
            return Response({"token": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(verdict.as_dict())


@extend_schema(tags=["grants"])
class GrantBundle(TokenView, APIView):
    """The current grants of the token holder's teams as data for Open Policy Agent:
    `{"grants": {agent id: {workflow key: grant}}, "revoked": [jti], "generated_at"}`, read by
    policy/autonomy.rego."""

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="OPA data."), **ERRORS}
    )
    def get(self, request):
        return Response(selectors.grants_bundle(request.user))
