"""The error body every participation endpoint answers with, for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class ParticipationErrorSerializer(serializers.Serializer[Any]):
    """An error: a machine code and a message (``invalid`` adds per-field reasons)."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(), required=False)


def errors(*statuses: int) -> dict[int, Any]:
    """The error answers of an endpoint, for its schema."""
    return dict.fromkeys(statuses, ParticipationErrorSerializer)
