"""How every participation endpoint refuses: the error body (and its schema), the permission
gate, and a service's refusal turned into that body."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from gridgov.accounts.scoping import has_permission


class ParticipationErrorSerializer(serializers.Serializer[Any]):
    """An error: a machine code and a message (``invalid`` adds per-field reasons)."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(), required=False)


def errors(*statuses: int) -> dict[int, Any]:
    """The error answers of an endpoint, for its schema."""
    return dict.fromkeys(statuses, ParticipationErrorSerializer)


def require(request: Request, *permissions: str) -> None:
    """403 unless the user holds one of ``permissions`` somewhere (the services and selectors
    check the place)."""
    if not any(has_permission(request.user, permission) for permission in permissions):
        raise PermissionDenied


def refusals_answered(
    status_for: Callable[[ValidationError], int],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator: a service's refusal becomes ``{"code", "message"}`` with the status
    ``status_for`` gives it; an unknown object is 404; a form's field errors pass through."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except ObjectDoesNotExist:
                raise Http404 from None
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    raise
                code = str(getattr(error, "code", None) or "invalid")
                message = " ".join(str(text) for text in error.messages)
                return Response({"code": code, "message": message}, status=status_for(error))

        return wrapped

    return decorate
