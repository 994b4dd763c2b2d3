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


class ScenarioFactory(DjangoModelFactory):
    class Meta:
        model = "sensing.Scenario"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"scenario-{n}")
    name = factory.Sequence(lambda n: f"场景{n}")
    kind = "held"
    params = factory.LazyFunction(lambda: {"state": "open", "seconds": 300})
    severity = "warning"
    notify_roles = factory.LazyFunction(lambda: ["grid_worker"])


class AlarmFactory(DjangoModelFactory):
    class Meta:
        model = "sensing.Alarm"

    scenario = factory.SubFactory(ScenarioFactory)
    scenario_version = 1
    condition_key = factory.Sequence(lambda n: f"condition-{n}")
    severity = factory.LazyAttribute(lambda alarm: alarm.scenario.severity)
    summary = factory.Sequence(lambda n: f"消防通道门常开{n}")
    device = factory.SubFactory(
        DeviceFactory, cell=factory.SelfAttribute("..cell"), lng=None, lat=None
    )
    cell = factory.SubFactory("gridgov.grids.tests.factories.CellFactory")
    raised_at = RECEIVED_AT
    last_occurred_at = factory.LazyAttribute(lambda alarm: alarm.raised_at)


# --- scenario rules: feeding events as a device would ----------------------------------------


def card_pass_hash(card: str) -> str:
    """The keyed hash ingestion stores for a card or face id (what ``AccessCard`` holds)."""
    from gridgov.core.crypto import lookup_hash

    return lookup_hash(card)


def feed(device_code: str, at: datetime, event_id: str, kind: str, **fields: Any) -> Any:
    """Ingest one native event of ``device_code`` occurring at ``at`` (received a second later)."""
    from datetime import timedelta

    from gridgov.sensing.services.ingest import ingest_messages

    event = {"event_id": event_id, "kind": kind, "at": at.isoformat(), "values": {}}
    event.update(fields)
    return ingest_messages(
        [native_message(device_code, event, received_at=at + timedelta(seconds=1))]
    )
