"""Every API error is JSON with a machine code and a human message (DESIGN D10)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code: str
    message: str
    if isinstance(exc, Http404):
        code, message = "not_found", _("Not found.")
    elif isinstance(exc, PermissionDenied):
        code, message = "permission_denied", _("You do not have permission to do this.")
    elif isinstance(exc, exceptions.ValidationError):
        code, message = "invalid", _("The request has invalid fields.")
        response.data = {"code": code, "message": message, "fields": response.data}
        return response
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message = str(detail) if not isinstance(detail, (dict, list)) else str(exc.default_detail)
    else:  # pragma: no cover - DRF only hands us the kinds above
        code, message = "error", _("The request failed.")
        response.status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    response.data = {"code": str(code), "message": str(message)}
    return response
