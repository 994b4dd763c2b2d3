"""Payload adapters (DESIGN D5): one raw message in, internal event drafts and rejections out.

Pure functions — no database. The adapter is chosen by topic:

* ``gridgov/devices/{code}/events`` — our native JSON (one event object or a list of them);
* ``v1/gateway/telemetry`` — the ThingsBoard gateway telemetry format
  (``{"<device>": [{"ts": <ms>, "values": {...}}, ...]}``);
* ``frigate/events`` — Frigate's MQTT event messages (``{"type", "before", "after"}``).

What cannot become an event is a ``Rejection`` with a reason code (``RejectReason``); each is
dead-lettered by the ingestion service. Details name the field or rule and never repeat a value
from the payload, which may be personal.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings

from gridgov.sensing.models import Channel, RejectReason, SourceFormat

if TYPE_CHECKING:
    from gridgov.sensing.services.ingest import RawMessage

NATIVE_TOPIC_PREFIX = "gridgov/devices/"
NATIVE_TOPIC_SUFFIX = "/events"
THINGSBOARD_TOPIC = "v1/gateway/telemetry"
FRIGATE_TOPIC = "frigate/events"

MAX_FUTURE_SKEW = timedelta(minutes=5)
MAX_ID_LENGTH = 64
MAX_KIND_LENGTH = 32
MAX_STATE_LENGTH = 32
MAX_CODE_LENGTH = 64
MAX_CARD_LENGTH = 64
MAX_VALUES = 64
MAX_VALUE_NAME_LENGTH = 64
MAX_STRING_VALUE_LENGTH = 256

HEARTBEAT_KIND = "heartbeat"
THINGSBOARD_KIND = "telemetry"
# Frigate labels (its object detector's classes) → our event kinds. Bicycles and motorcycles
# are how Frigate sees an e-bike (电动车); the elevator e-bike scenario listens for them.
FRIGATE_KINDS: Mapping[str, str] = {
    "person": "person_detected",
    "car": "vehicle_detected",
    "truck": "vehicle_detected",
    "bus": "vehicle_detected",
    "bicycle": "ebike_detected",
    "motorcycle": "ebike_detected",
}
FRIGATE_OTHER_KIND = "object_detected"
FRIGATE_TYPES = ("new", "update", "end")


@dataclass(frozen=True, slots=True)
class EventDraft:
    """One event as every format becomes it, before its device is looked up."""

    device_code: str
    event_id: str
    kind: str
    occurred_at: datetime
    values: dict[str, Any]
    state: str = ""
    person_card: str = ""
    source_format: str = SourceFormat.NATIVE


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    detail: str
    payload: bytes
    device_code: str = ""


@dataclass(slots=True)
class Adapted:
    events: list[EventDraft] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


class _InvalidMessageError(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def max_payload_bytes() -> int:
    return int(settings.GRIDGOV_SENSING_MAX_PAYLOAD_BYTES)


def max_events_per_message() -> int:
    return int(settings.GRIDGOV_SENSING_MAX_EVENTS_PER_MESSAGE)


def native_topic(device_code: str) -> str:
    return f"{NATIVE_TOPIC_PREFIX}{device_code}{NATIVE_TOPIC_SUFFIX}"


def adapt(message: RawMessage) -> Adapted:
    """The events in one message, and a rejection for each part that cannot be used."""
    payload = message.payload
    if len(payload) > max_payload_bytes():
        # Never parsed: a 10 MB payload costs a length check, not a JSON parse.
        return _rejected(
            RejectReason.PAYLOAD_TOO_LARGE,
            f"{len(payload)} bytes; at most {max_payload_bytes()}",
            payload,
            message.device_code,
        )
    topic = message.topic
    if topic.startswith(NATIVE_TOPIC_PREFIX) and topic.endswith(NATIVE_TOPIC_SUFFIX):
        topic_device = topic[len(NATIVE_TOPIC_PREFIX) : -len(NATIVE_TOPIC_SUFFIX)]
        if not topic_device or "/" in topic_device or len(topic_device) > MAX_CODE_LENGTH:
            return _rejected(
                RejectReason.UNKNOWN_TOPIC, "device code in topic", payload, message.device_code
            )
        parser = _native_parser(topic_device)
    elif topic == THINGSBOARD_TOPIC:
        parser = _thingsboard_events
    elif topic == FRIGATE_TOPIC:
        parser = _frigate_events
    else:
        return _rejected(RejectReason.UNKNOWN_TOPIC, "no adapter", payload, message.device_code)
    try:
        document = _parse_json(payload)
    except _InvalidMessageError as invalid:
        return _rejected(invalid.reason, invalid.detail, payload, message.device_code)
    try:
        adapted = parser(document, message.received_at)
    except _InvalidMessageError as invalid:
        return _rejected(invalid.reason, invalid.detail, payload, message.device_code)
    if message.channel == Channel.HTTP and parser is not _thingsboard_events:
        # A gateway's right to post for the devices behind it needs the registry: the
        # ingestion service checks ThingsBoard messages.
        keep_own_events(adapted, message.device_code)
    return adapted


def _rejected(reason: str, detail: str, payload: bytes, device_code: str) -> Adapted:
    return Adapted(rejections=[Rejection(reason, detail, payload, device_code)])


def keep_own_events(
    adapted: Adapted, device_code: str, behind_gateway: frozenset[str] = frozenset()
) -> None:
    """Over HTTP a device authenticates as itself; it may post only its own events, and a
    gateway those of the devices behind it (``behind_gateway``)."""
    own: list[EventDraft] = []
    for event in adapted.events:
        if event.device_code == device_code or event.device_code in behind_gateway:
            own.append(event)
        else:
            adapted.rejections.append(
                Rejection(
                    RejectReason.DEVICE_MISMATCH,
                    "event of another device",
                    _fragment({"event_id": event.event_id, "kind": event.kind}),
                    device_code,
                )
            )
    adapted.events = own


def _reject_constant(name: str) -> float:
    raise _InvalidMessageError(RejectReason.MALFORMED_JSON, f"{name} is not a JSON number")


def _parse_json(payload: bytes) -> Any:
    try:
        return json.loads(payload, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise _InvalidMessageError(RejectReason.MALFORMED_JSON, type(error).__name__) from None


def _fragment(element: Any) -> bytes:
    return json.dumps(element, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _check_count(count: int) -> None:
    if count > max_events_per_message():
        raise _InvalidMessageError(
            RejectReason.TOO_MANY_EVENTS, f"{count} events; at most {max_events_per_message()}"
        )


def _check_not_future(occurred_at: datetime, received_at: datetime) -> None:
    if occurred_at > received_at + MAX_FUTURE_SKEW:
        raise _InvalidMessageError(RejectReason.FUTURE_TIMESTAMP, "event time ahead of arrival")


def _text(document: Mapping[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    value = document.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise _InvalidMessageError(
            RejectReason.INVALID_FIELD, f"{name}: a non-empty string is required"
        )
    if len(value) > limit:
        raise _InvalidMessageError(
            RejectReason.INVALID_FIELD, f"{name}: at most {limit} characters"
        )
    return value


def _values(raw: Any, name: str = "values", *, nested: bool = False) -> dict[str, Any]:
    """At most 64 named values: numbers, strings, booleans (and JSON objects or arrays too when
    ``nested``, as ThingsBoard allows)."""
    if not isinstance(raw, dict):
        raise _InvalidMessageError(RejectReason.INVALID_FIELD, f"{name}: an object is required")
    if len(raw) > MAX_VALUES:
        raise _InvalidMessageError(
            RejectReason.INVALID_FIELD, f"{name}: at most {MAX_VALUES} entries"
        )
    for key, value in raw.items():
        if not key or len(key) > MAX_VALUE_NAME_LENGTH:
            raise _InvalidMessageError(
                RejectReason.INVALID_FIELD, f"{name}: a name of 1–64 characters"
            )
        if isinstance(value, str):
            if len(value) > MAX_STRING_VALUE_LENGTH:
                raise _InvalidMessageError(
                    RejectReason.INVALID_FIELD, f"{name}: a string over 256 characters"
                )
        elif nested and isinstance(value, dict | list):
            continue
        elif not isinstance(value, bool | int | float):
            raise _InvalidMessageError(
                RejectReason.INVALID_FIELD, f"{name}: each value a number, string or boolean"
            )
    return raw


def _iso_time(raw: Any, name: str) -> datetime:
    if not isinstance(raw, str):
        raise _InvalidMessageError(
            RejectReason.INVALID_FIELD, f"{name}: an ISO-8601 time is required"
        )
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _InvalidMessageError(
            RejectReason.INVALID_FIELD, f"{name}: not an ISO-8601 time"
        ) from None
    if moment.tzinfo is None:
        raise _InvalidMessageError(
            RejectReason.INVALID_FIELD, f"{name}: the UTC offset is required"
        )
    return moment


def _epoch_time(raw: Any, name: str, *, scale: float) -> datetime:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise _InvalidMessageError(RejectReason.INVALID_FIELD, f"{name}: a number is required")
    try:
        return datetime.fromtimestamp(raw / scale, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise _InvalidMessageError(RejectReason.INVALID_FIELD, f"{name}: out of range") from None


# ---- native ------------------------------------------------------------------------------


def _native_parser(topic_device: str) -> Callable[[Any, datetime], Adapted]:
    def parse(document: Any, received_at: datetime) -> Adapted:
        if isinstance(document, dict):
            elements: list[Any] = [document]
        elif isinstance(document, list):
            elements = document
        else:
            raise _InvalidMessageError(
                RejectReason.INVALID_FORMAT, "an event object or a list of them"
            )
        _check_count(len(elements))
        adapted = Adapted()
        for element in elements:
            try:
                adapted.events.append(_native_event(element, topic_device, received_at))
            except _InvalidMessageError as invalid:
                adapted.rejections.append(
                    Rejection(invalid.reason, invalid.detail, _fragment(element), topic_device)
                )
        return adapted

    return parse


def _native_event(element: Any, topic_device: str, received_at: datetime) -> EventDraft:
    if not isinstance(element, dict):
        raise _InvalidMessageError(RejectReason.INVALID_FORMAT, "each event must be an object")
    device_code = topic_device
    if "device" in element:
        device_code = _text(element, "device", MAX_CODE_LENGTH)
        if device_code != topic_device:
            raise _InvalidMessageError(
                RejectReason.DEVICE_MISMATCH, "device differs from the topic's"
            )
    occurred_at = _iso_time(element.get("at"), "at")
    _check_not_future(occurred_at, received_at)
    return EventDraft(
        device_code=device_code,
        event_id=_text(element, "event_id", MAX_ID_LENGTH),
        kind=_text(element, "kind", MAX_KIND_LENGTH),
        occurred_at=occurred_at,
        values=_values(element.get("values", {})),
        state=_text(element, "state", MAX_STATE_LENGTH, required=False),
        person_card=_text(element, "person_card", MAX_CARD_LENGTH, required=False),
        source_format=SourceFormat.NATIVE,
    )


# ---- ThingsBoard gateway telemetry -------------------------------------------------------


def thingsboard_event_id(device_code: str, ts: int | float, values: Mapping[str, Any]) -> str:
    """Deterministic from (device, ts, values), so a replayed message is a duplicate."""
    canonical = json.dumps([device_code, ts, values], sort_keys=True, separators=(",", ":"))
    return "tb-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _thingsboard_events(document: Any, received_at: datetime) -> Adapted:
    if not isinstance(document, dict):
        raise _InvalidMessageError(
            RejectReason.INVALID_FORMAT, "an object of device name → readings"
        )
    _check_count(sum(len(v) if isinstance(v, list) else 1 for v in document.values()))
    adapted = Adapted()
    for device_code, readings in document.items():
        if not isinstance(readings, list):
            adapted.rejections.append(
                Rejection(
                    RejectReason.INVALID_FORMAT,
                    "each device's readings must be a list",
                    _fragment({device_code: readings}),
                    device_code[:MAX_CODE_LENGTH],
                )
            )
            continue
        for reading in readings:
            try:
                adapted.events.append(_thingsboard_event(device_code, reading, received_at))
            except _InvalidMessageError as invalid:
                adapted.rejections.append(
                    Rejection(
                        invalid.reason,
                        invalid.detail,
                        _fragment({device_code: [reading]}),
                        device_code[:MAX_CODE_LENGTH],
                    )
                )
    return adapted


def _thingsboard_event(device_code: str, reading: Any, received_at: datetime) -> EventDraft:
    if not device_code or len(device_code) > MAX_CODE_LENGTH:
        raise _InvalidMessageError(RejectReason.INVALID_FIELD, "device name: 1–64 characters")
    if not isinstance(reading, dict):
        raise _InvalidMessageError(RejectReason.INVALID_FORMAT, "each reading must be an object")
    # ``ts`` is optional in the gateway API: without it the arrival time stands in (and a
    # replay of that message can no longer be recognised — docs/devices.md says to send ts).
    ts = reading.get("ts")
    if ts is None:
        ts = int(received_at.timestamp() * 1000)
    occurred_at = _epoch_time(ts, "ts", scale=1000)
    _check_not_future(occurred_at, received_at)
    values = _values(reading.get("values"), nested=True)
    return EventDraft(
        device_code=device_code,
        event_id=thingsboard_event_id(device_code, cast(float, ts), values),
        kind=THINGSBOARD_KIND,
        occurred_at=occurred_at,
        values=values,
        source_format=SourceFormat.THINGSBOARD,
    )


# ---- Frigate -------------------------------------------------------------------------------


def frigate_kind(label: str) -> str:
    return FRIGATE_KINDS.get(label, FRIGATE_OTHER_KIND)


def _frigate_events(document: Any, received_at: datetime) -> Adapted:
    if not isinstance(document, dict) or not isinstance(document.get("after"), dict):
        raise _InvalidMessageError(
            RejectReason.INVALID_FORMAT, "an object with type, before and after"
        )
    message_type = document.get("type")
    if message_type not in FRIGATE_TYPES:
        raise _InvalidMessageError(RejectReason.INVALID_FIELD, "type: new, update or end")
    after: dict[str, Any] = document["after"]
    frigate_id = _text(after, "id", MAX_ID_LENGTH - 7)
    camera = _text(after, "camera", MAX_CODE_LENGTH)
    label = _text(after, "label", MAX_KIND_LENGTH)
    start = _epoch_time(after.get("start_time"), "after.start_time", scale=1)
    end_raw = after.get("end_time")
    end = None if end_raw is None else _epoch_time(end_raw, "after.end_time", scale=1)
    occurred_at = end if (message_type == "end" and end is not None) else start
    _check_not_future(occurred_at, received_at)
    score = after.get("top_score", after.get("score"))
    values: dict[str, Any] = {"label": label}
    if isinstance(score, int | float) and not isinstance(score, bool):
        values["score"] = round(float(score), 4)
    zones = after.get("current_zones")
    if isinstance(zones, list):
        values["zones"] = ",".join(str(zone) for zone in _strings(zones))[:MAX_STRING_VALUE_LENGTH]
    # ``sub_label`` may be a recognised face's name: personal, so it is not kept.
    return Adapted(
        events=[
            EventDraft(
                device_code=camera,
                event_id=f"{frigate_id}:{message_type}",
                kind=frigate_kind(label),
                occurred_at=occurred_at,
                values=values,
                state="ended" if message_type == "end" else "active",
                source_format=SourceFormat.FRIGATE,
            )
        ]
    )


def _strings(items: Iterable[Any]) -> list[str]:
    return [item for item in items if isinstance(item, str)]
