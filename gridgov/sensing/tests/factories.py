from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import factory
from factory.django import DjangoModelFactory

from gridgov.sensing.adapters import native_topic
from gridgov.sensing.models import DeadLetter, Device, DeviceCategory, Event, SourceFormat
from gridgov.sensing.services.devices import device_secret_hash
from gridgov.sensing.services.ingest import RawMessage

DEVICE_SECRET = "test-device-secret-0123456789abcdefghijklmnopq"
RECEIVED_AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


class DeviceFactory(DjangoModelFactory):
    class Meta:
        model = Device
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dev-{n:05d}")
    name = factory.Sequence(lambda n: f"门磁{n}")
    category = DeviceCategory.DOOR_SENSOR
    cell = factory.SubFactory("gridgov.grids.tests.factories.CellFactory")
    heartbeat_interval_seconds = 60
    secret_hash = device_secret_hash(DEVICE_SECRET)


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    device = factory.SubFactory(DeviceFactory)
    event_id = factory.Sequence(lambda n: f"evt-{n}")
    kind = "door_open"
    occurred_at = RECEIVED_AT
    received_at = RECEIVED_AT
    values = factory.LazyFunction(dict)
    source_format = SourceFormat.NATIVE


class DeadLetterFactory(DjangoModelFactory):
    class Meta:
        model = DeadLetter

    received_at = RECEIVED_AT
    channel = "mqtt"
    topic = "gridgov/devices/x/events"
    reason = "malformed_json"
    payload = b"{"
    size = 1


def native_event(event_id: str = "e-1", **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id,
        "kind": "door_open",
        "at": "2026-12-03T15:59:00+08:00",
        "values": {"open": True},
    }
    event.update(fields)
    return event


def native_message(
    device_code: str,
    body: Any,
    *,
    channel: str = "mqtt",
    sender: str = "",
    received_at: datetime = RECEIVED_AT,
) -> RawMessage:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawMessage(
        channel=channel,
        topic=native_topic(device_code),
        payload=payload,
        received_at=received_at,
        device_code=sender,
    )
