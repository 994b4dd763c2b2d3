"""How a device proves who it is over HTTP, and how a flood from one device is held back."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from gridgov.sensing.models import Device
from gridgov.sensing.services.devices import device_authenticate

SCHEME = "Device"


class DeviceAuthentication(BaseAuthentication):
    """``Authorization: Device <code>:<secret>``; ``request.auth`` is then the ``Device``."""

    def authenticate(self, request: Request) -> tuple[Any, Device] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() != SCHEME.lower():
            raise exceptions.AuthenticationFailed(_("Device credentials are required."))
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid device credentials."))
        try:
            code, _sep, secret = header[1].decode("utf-8").partition(":")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid device credentials.")) from None
        device = device_authenticate(code=code, secret=secret) if code and secret else None
        if device is None:
            raise exceptions.AuthenticationFailed(_("Invalid device credentials."))
        return AnonymousUser(), device

    def authenticate_header(self, request: Request) -> str:
        return f'{SCHEME} realm="gridgov"'


class IsDevice(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, Device)


class DeviceRateThrottle(SimpleRateThrottle):
    """Requests per device code (``GRIDGOV_SENSING_HTTP_RATE``, default 600 a minute)."""

    scope = "sensing_device"

    def get_rate(self) -> str:
        return str(settings.GRIDGOV_SENSING_HTTP_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, Device):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.code}


class DeviceAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes device credentials."""

    target_class = "gridgov.sensing.api.device_auth.DeviceAuthentication"
    name = "DeviceAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "Device",
            "description": "`Authorization: Device <device code>:<device secret>`",
        }
