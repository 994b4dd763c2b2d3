"""Helpers shared by the people-and-housing API views: pages, masked rows, files, errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.scoping import has_permission
from gridgov.registry import serializers as s
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.serializers_writes import ApiErrorSerializer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_RESPONSES: dict[Any, Any] = {
    (200, XLSX): OpenApiTypes.BINARY,
    400: ApiErrorSerializer,
    403: ApiErrorSerializer,
    404: ApiErrorSerializer,
}


def errors(*statuses: int) -> dict[int, Any]:
    """The error answers of an endpoint, for its schema."""
    return dict.fromkeys(statuses, ApiErrorSerializer)


def page(view: APIView, request: Request, queryset: Any, render: Any) -> Response:
    paginator = PageNumberPagination()
    rows = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(render(rows or []))


def person_data(actor: Any, person: Any) -> dict[str, Any]:
    return dict(s.PersonSerializer(PersonPresenter(actor).row(person)).data)


def require(request: Request, permission: str) -> None:
    """The same gate as the pages: the actor holds ``permission`` somewhere."""
    if not has_permission(request.user, permission):
        raise PermissionDenied


def with_fields(error: ValidationError) -> ValidationError:
    """A refusal without a field, under ``non_field_errors`` as DRF names it."""
    if hasattr(error, "error_dict"):
        return error
    return ValidationError({"non_field_errors": error.messages})


def xlsx_attachment(content: Any, filename: str) -> HttpResponse:
    """A workbook download; RFC 6266 keeps a Chinese file name intact. Never cached."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response
