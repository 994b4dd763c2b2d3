"""``POST /api/v1/auth/token/`` and ``GET /api/v1/me/`` (DESIGN D10).

The token endpoint applies the web sign-in's lockout, throttling and second factor; errors
are JSON ``{"code", "message"}`` through ``gridgov.core.api_errors``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from gridgov.accounts.errors import (
    InvalidCredentialsError,
    LoginLockedError,
    TwoFactorCodeInvalidError,
    TwoFactorCodeRequiredError,
    TwoFactorSetupRequiredError,
)
from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.selectors import me_summary
from gridgov.accounts.services import api_token_issue
from gridgov.core.middleware import client_ip


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    totp = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        default="",
        help_text="The 6-digit code of the authenticator app; required for roles with "
        "two-factor sign-in (platform administrator, operations-centre operator).",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ScopeCellSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))
    permissions = serializers.ListField(child=serializers.CharField())
    is_global = serializers.BooleanField(help_text="Sees the whole platform (superuser).")
    cells = ScopeCellSerializer(many=True, help_text="The outermost cells the caller may see.")
    two_factor_enabled = serializers.BooleanField()


class SignInRefusedError(APIException):
    """Carries a sign-in service error to the JSON error handler."""

    def __init__(self, error: Exception, status_code: int, wait: int | None = None) -> None:
        message = getattr(error, "message", "")
        super().__init__(detail=message, code=getattr(error, "code", "error"))
        self.status_code = status_code
        if wait:
            self.wait = wait  # becomes a Retry-After header


_ERRORS = OpenApiResponse(
    response=ErrorSerializer,
    description="invalid_credentials, invalid_totp, totp_required or totp_setup_required "
    "(400); login_locked (429, with Retry-After).",
)


class TokenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 400: _ERRORS, 429: _ERRORS},
        examples=[
            OpenApiExample(
                "Operator with authenticator code",
                value={"username": "operator", "password": "…", "totp": "123456"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            token = api_token_issue(
                username=data["username"],
                password=data["password"],
                totp=data["totp"],
                ip_address=client_ip(request._request),
            )
        except LoginLockedError as error:
            raise SignInRefusedError(
                error, status.HTTP_429_TOO_MANY_REQUESTS, wait=error.remaining_seconds
            ) from error
        except (
            InvalidCredentialsError,
            TwoFactorCodeInvalidError,
            TwoFactorCodeRequiredError,
            TwoFactorSetupRequiredError,
        ) as error:
            raise SignInRefusedError(error, status.HTTP_400_BAD_REQUEST) from error
        return Response(TokenResponseSerializer({"token": token.key}).data)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        summary="Who am I, and where may I look",
        tags=["auth"],
        responses={200: MeSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        actor = request.user
        if not isinstance(actor, User):  # pragma: no cover - IsAuthenticated guarantees it
            raise NotAuthenticated()
        return Response(MeSerializer(asdict(me_summary(actor=actor))).data)
