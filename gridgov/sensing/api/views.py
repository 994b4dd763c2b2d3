"""The sensing API under ``/api/v1/sensing/``: HTTP ingestion for devices, and devices, events
and dead letters for staff, read through the selectors with the acting user (DESIGN D7, D10).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.roles import Perm
from gridgov.registry.api.common import errors, page, require
from gridgov.sensing import selectors
from gridgov.sensing.adapters import THINGSBOARD_TOPIC, max_payload_bytes, native_topic
from gridgov.sensing.api import serializers as s
from gridgov.sensing.api.device_auth import DeviceAuthentication, DeviceRateThrottle, IsDevice
from gridgov.sensing.models import Channel, DeadLetter, Device, Event
from gridgov.sensing.services import devices as device_services
from gridgov.sensing.services.ingest import (
    IngestResult,
    RawMessage,
    ingest_messages,
    ingest_refuse_oversized,
)


def _ref(obj: Any) -> dict[str, str] | None:
    return None if obj is None else {"code": obj.code, "name": obj.name}


def device_row(device: Device) -> dict[str, Any]:
    return {
        "code": device.code,
        "name": device.name,
        "category": device.category,
        "category_label": str(device.get_category_display()),
        "cell": _ref(device.cell),
        "estate": _ref(device.estate),
        "building_id": device.building_id,
        "lng": device.lng,
        "lat": device.lat,
        "address": device.address,
        "owner": _ref(device.owner),
        "gateway": device.gateway.code if device.gateway else None,
        "heartbeat_interval_seconds": device.heartbeat_interval_seconds,
        "last_seen_at": device.last_seen_at,
        "is_online": device.is_online,
        "is_active": device.is_active,
        "secret_rotated_at": device.secret_rotated_at,
    }


def event_row(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "device": event.device.code,
        "event_id": event.event_id,
        "kind": event.kind,
        "occurred_at": event.occurred_at,
        "received_at": event.received_at,
        "values": event.values,
        "state": event.state,
        "source_format": event.source_format,
        "has_person_card": bool(event.person_card_hash),
    }


def dead_letter_row(letter: DeadLetter) -> dict[str, Any]:
    return {
        "id": letter.pk,
        "received_at": letter.received_at,
        "channel": letter.channel,
        "topic": letter.topic,
        "device_code": letter.device_code,
        "reason": letter.reason,
        "detail": letter.detail,
        "size": letter.size,
    }


def _result_body(result: IngestResult) -> dict[str, Any]:
    return {"stored": result.stored, "duplicates": result.duplicates, "rejected": result.rejected}


NATIVE_EXAMPLE = OpenApiExample(
    "A door opened",
    value={
        "event_id": "door-7-000123",
        "kind": "door_open",
        "at": "2026-12-03T08:15:00+08:00",
        "values": {"open": True},
        "state": "open",
    },
    request_only=True,
)


class _DeviceIngestView(APIView):
    """Shared by the native and the ThingsBoard endpoints: credentials, limits, counts."""

    authentication_classes = [DeviceAuthentication]
    permission_classes = [IsDevice]
    throttle_classes = [DeviceRateThrottle]

    def topic_for(self, device: Device) -> str:
        raise NotImplementedError

    def ingest(self, request: Request) -> Response:
        device = request.auth
        assert isinstance(device, Device)  # IsDevice let only a device through
        topic = self.topic_for(device)
        received_at = timezone.now()
        limit = max_payload_bytes()
        declared = _declared_length(request)
        if declared is not None and declared > limit:
            return _too_large(
                ingest_refuse_oversized(
                    channel=Channel.HTTP,
                    topic=topic,
                    device_code=device.code,
                    size=declared,
                    received_at=received_at,
                )
            )
        try:
            body = request.body
        except RequestDataTooBig:
            return _too_large(
                ingest_refuse_oversized(
                    channel=Channel.HTTP,
                    topic=topic,
                    device_code=device.code,
                    size=declared or limit + 1,
                    received_at=received_at,
                )
            )
        result = ingest_messages(
            [
                RawMessage(
                    channel=Channel.HTTP,
                    topic=topic,
                    payload=body,
                    received_at=received_at,
                    device_code=device.code,
                )
            ]
        )
        if len(body) > limit:
            return _too_large(result)
        accepted = result.stored + result.duplicates
        code = status.HTTP_202_ACCEPTED if accepted or not result.rejected else 400
        return Response(_result_body(result), status=code)


THINGSBOARD_EXAMPLE = OpenApiExample(
    "Two meters behind a gateway",
    value={
        "meter-0101": [{"ts": 1764748800000, "values": {"kwh": 1523.4}}],
        "meter-0102": [{"ts": 1764748800000, "values": {"kwh": 88.0}}],
    },
    request_only=True,
)


@extend_schema(tags=["sensing"])
class IngestView(_DeviceIngestView):
    """A device posts its own events: one native event object, or a list of up to 500.

    Answers 202 with the counts when anything was stored or already known; 400 when every
    event was refused (each refusal is still kept as a dead letter); 401 for bad credentials;
    413 for a body over the limit (256 KiB by default); 429 when the device sends too often.
    """

    def topic_for(self, device: Device) -> str:
        return native_topic(device.code)

    @extend_schema(
        request=s.NativeEventSerializer,
        responses={
            202: s.IngestResultSerializer,
            400: s.IngestResultSerializer,
            **errors(401, 413, 429),
        },
        examples=[NATIVE_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        return self.ingest(request)


@extend_schema(tags=["sensing"])
class ThingsBoardIngestView(_DeviceIngestView):
    """A gateway posts ThingsBoard gateway telemetry (``{"<device code>": [{"ts", "values"}]}``)
    for itself and the devices registered behind it; readings of any other device are refused
    (``device_mismatch``). Answers as the native endpoint does.
    """

    def topic_for(self, device: Device) -> str:
        return THINGSBOARD_TOPIC

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            202: s.IngestResultSerializer,
            400: s.IngestResultSerializer,
            **errors(401, 413, 429),
        },
        examples=[THINGSBOARD_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        return self.ingest(request)


def _declared_length(request: Request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _too_large(result: IngestResult) -> Response:
    body = _result_body(result)
    message = _("The body is over %(limit)d bytes.") % {"limit": max_payload_bytes()}
    body.update({"code": "payload_too_large", "message": str(message)})
    return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


@extend_schema(tags=["sensing"])
class DeviceListView(APIView):
    """Devices in your scope; ``POST`` registers one and shows its secret once."""

    @extend_schema(
        parameters=[s.DeviceFilterSerializer], responses={200: s.DeviceSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        require(request, Perm.DEVICE_VIEW)
        query = s.DeviceFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        devices = selectors.device_list_for_actor(
            actor=request.user,
            category=data.get("category"),
            cell_code=data.get("cell"),
            is_online=data.get("online"),
            search=data.get("q"),
            include_inactive=data.get("include_inactive", False),
        )
        return page(self, request, devices, lambda rows: [device_row(d) for d in rows])

    @extend_schema(
        request=s.DeviceRegisterSerializer,
        responses={201: s.DeviceWithSecretSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        require(request, Perm.DEVICE_MANAGE)
        form = s.DeviceRegisterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        issued = device_services.device_register(
            actor=request.user,
            code=data["code"],
            name=data["name"],
            category=data["category"],
            cell_code=data.get("cell") or None,
            estate_code=data.get("estate") or None,
            building_id=data.get("building_id"),
            lng=data.get("lng"),
            lat=data.get("lat"),
            address=data.get("address", ""),
            owner_code=data.get("owner") or None,
            gateway_code=data.get("gateway") or None,
            heartbeat_interval_seconds=data.get("heartbeat_interval_seconds", 300),
        )
        body = device_row(issued.device) | {"secret": issued.secret}
        return Response(body, status=status.HTTP_201_CREATED)


def _visible_device(request: Request, code: str) -> Device:
    try:
        return selectors.device_get_for_actor(actor=request.user, code=code)
    except Device.DoesNotExist:
        raise Http404 from None


@extend_schema(tags=["sensing"])
class DeviceDetailView(APIView):
    @extend_schema(responses={200: s.DeviceSerializer, **errors(404)})
    def get(self, request: Request, code: str) -> Response:
        require(request, Perm.DEVICE_VIEW)
        return Response(device_row(_visible_device(request, code)))

    @extend_schema(
        request=s.DeviceUpdateSerializer,
        responses={200: s.DeviceSerializer, **errors(400, 403, 404)},
    )
    def patch(self, request: Request, code: str) -> Response:
        _visible_device(request, code)
        form = s.DeviceUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        device_services.device_update(
            actor=request.user,
            code=code,
            name=data.get("name"),
            address=data.get("address"),
            heartbeat_interval_seconds=data.get("heartbeat_interval_seconds"),
            cell_code=data.get("cell"),
            lng=data.get("lng"),
            lat=data.get("lat"),
        )
        return Response(device_row(_visible_device(request, code)))


@extend_schema(tags=["sensing"])
class DeviceCredentialsView(APIView):
    """Issue the device a new secret (shown once); the old one stops working at once."""

    @extend_schema(request=None, responses={200: s.DeviceWithSecretSerializer, **errors(403, 404)})
    def post(self, request: Request, code: str) -> Response:
        _visible_device(request, code)
        issued = device_services.device_credentials_rotate(actor=request.user, code=code)
        return Response(device_row(_visible_device(request, code)) | {"secret": issued.secret})


@extend_schema(tags=["sensing"])
class DeviceDeactivateView(APIView):
    """Retire the device: its credentials and its events are refused from now on."""

    @extend_schema(request=None, responses={200: s.DeviceSerializer, **errors(403, 404)})
    def post(self, request: Request, code: str) -> Response:
        _visible_device(request, code)
        device_services.device_deactivate(actor=request.user, code=code)
        return Response(device_row(_visible_device(request, code)))


@extend_schema(tags=["sensing"])
class EventListView(APIView):
    """Events of the devices you may see, newest first, by device, kind and time."""

    @extend_schema(
        parameters=[s.EventFilterSerializer], responses={200: s.DeviceEventSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        require(request, Perm.EVENT_VIEW)
        query = s.EventFilterSerializer(
            data={
                **request.query_params.dict(),
                "kind": request.query_params.getlist("kind"),
            }
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        events = selectors.event_list_for_actor(
            actor=request.user,
            device_code=data.get("device"),
            kinds=data.get("kind", []),
            occurred_from=data.get("occurred_from"),
            occurred_to=data.get("occurred_to"),
        )
        return page(self, request, events, lambda rows: [event_row(e) for e in rows])


def _require_dead_letters(request: Request) -> None:
    if not selectors.dead_letters_visible(request.user):
        raise PermissionDenied


@extend_schema(tags=["sensing"])
class DeadLetterListView(APIView):
    """Messages, or events in them, that could not be stored, with the reason (no payloads)."""

    @extend_schema(
        parameters=[s.DeadLetterFilterSerializer],
        responses={200: s.DeadLetterSerializer(many=True), **errors(403)},
    )
    def get(self, request: Request) -> Response:
        _require_dead_letters(request)
        query = s.DeadLetterFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        letters = selectors.dead_letter_list_for_actor(actor=request.user, **query.validated_data)
        return page(self, request, letters, lambda rows: [dead_letter_row(d) for d in rows])


@extend_schema(tags=["sensing"])
class DeadLetterCountsView(APIView):
    """Dead letters counted by reason code, for a period."""

    @extend_schema(
        parameters=[
            OpenApiParameter("received_from", OpenApiTypes.DATETIME),
            OpenApiParameter("received_to", OpenApiTypes.DATETIME),
        ],
        responses={200: OpenApiTypes.OBJECT, **errors(403)},
    )
    def get(self, request: Request) -> Response:
        _require_dead_letters(request)
        query = s.DeadLetterFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        counts = selectors.dead_letter_counts_for_actor(
            actor=request.user,
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
        )
        return Response(counts)
