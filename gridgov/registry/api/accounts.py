"""``/api/v1/me/person/``: the registry person the signed-in account is linked to (实名认证).

Only one's own link is readable here, masked like every other person in the API; an account
without a link gets a 404 with the code ``not_linked``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.registry.api.common import errors
from gridgov.registry.selectors.accounts import linked_person_for_account


class LinkedDwellingSerializer(serializers.Serializer[Any]):
    address_masked = serializers.CharField()
    relation = serializers.CharField(help_text="How the person lives there, or the owned share.")
    since = serializers.DateField()


class LinkedPersonSerializer(serializers.Serializer[Any]):
    name_masked = serializers.CharField()
    id_type_label = serializers.CharField()
    id_number_masked = serializers.CharField()
    phone_masked = serializers.CharField()
    method = serializers.CharField(help_text="staff or sms_code")
    method_label = serializers.CharField()
    linked_at = serializers.DateTimeField()
    dwellings = LinkedDwellingSerializer(many=True)
    ownerships = LinkedDwellingSerializer(many=True)


@extend_schema(tags=["registry"])
class MyPersonView(APIView):
    """The caller's own linked registry person, masked."""

    @extend_schema(responses={200: LinkedPersonSerializer, **errors(404)})
    def get(self, request: Request) -> Response:
        linked = linked_person_for_account(request.user)
        if linked is None:
            return Response(
                {"code": "not_linked", "message": _("This account is not linked to a person.")},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(LinkedPersonSerializer(asdict(linked)).data)
