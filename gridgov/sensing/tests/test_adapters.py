"""Each published format becomes internal events; each kind of bad input its own reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.test import override_settings

from gridgov.sensing.adapters import RejectReason, adapt, thingsboard_event_id
from gridgov.sensing.models import SourceFormat
from gridgov.sensing.services.ingest import RawMessage
from gridgov.sensing.tests.factories import RECEIVED_AT, native_event, native_message


def _message(topic: str, body: object, channel: str = "mqtt", sender: str = "") -> RawMessage:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawMessage(
        channel=channel, topic=topic, payload=payload, received_at=RECEIVED_AT, device_code=sender
    )


def test_a_native_event_becomes_one_internal_event():
    adapted = adapt(native_message("door-1", native_event("e-1", state="open", person_card="310A")))

    assert adapted.rejections == []
    [event] = adapted.events
    assert event.device_code == "door-1"
    assert event.event_id == "e-1"
    assert event.kind == "door_open"
    assert event.occurred_at == datetime(2026, 12, 3, 7, 59, tzinfo=UTC)
    assert event.values == {"open": True}
    assert event.state == "open"
    assert event.person_card == "310A"
    assert event.source_format == SourceFormat.NATIVE


def test_a_native_list_keeps_good_events_and_rejects_each_bad_one():
    adapted = adapt(native_message("door-1", [native_event("e-1"), {"event_id": 7}]))

    assert [event.event_id for event in adapted.events] == ["e-1"]
    [rejection] = adapted.rejections
    assert rejection.reason == RejectReason.INVALID_FIELD
    assert json.loads(rejection.payload) == {"event_id": 7}


def test_a_thingsboard_gateway_message_becomes_one_event_per_reading():
    body = {
        "meter-1": [
            {"ts": 1764748800000, "values": {"reading": 12.5}},
            {"ts": 1764748860000, "values": {"reading": 12.75}},
        ],
        "smoke-2": [{"ts": 1764748800000, "values": {"smoke": False}}],
    }

    adapted = adapt(_message("v1/gateway/telemetry", body))

    assert adapted.rejections == []
    assert [(e.device_code, e.kind, e.values) for e in adapted.events] == [
        ("meter-1", "telemetry", {"reading": 12.5}),
        ("meter-1", "telemetry", {"reading": 12.75}),
        ("smoke-2", "telemetry", {"smoke": False}),
    ]
    assert adapted.events[0].occurred_at == datetime(2025, 12, 3, 8, 0, tzinfo=UTC)
    assert adapted.events[0].event_id == thingsboard_event_id(
        "meter-1", 1764748800000, {"reading": 12.5}
    )
    assert adapted.events[0].source_format == SourceFormat.THINGSBOARD


def test_a_thingsboard_reading_without_ts_is_dated_on_arrival_and_may_hold_json_values():
    body = {"meter-1": [{"values": {"phases": [220.1, 219.8], "meta": {"fw": "1.2"}}}]}

    [event] = adapt(_message("v1/gateway/telemetry", body)).events

    assert event.occurred_at == RECEIVED_AT
    assert event.values == {"phases": [220.1, 219.8], "meta": {"fw": "1.2"}}


def test_a_thingsboard_reading_with_a_text_ts_is_rejected():
    body = {"meter-1": [{"ts": "yesterday", "values": {"kwh": 1}}]}

    assert _reason(_message("v1/gateway/telemetry", body)) == "invalid_field"


def test_a_replayed_thingsboard_reading_gets_the_same_event_id():
    body = {"meter-1": [{"ts": 1764748800000, "values": {"reading": 12.5}}]}

    first = adapt(_message("v1/gateway/telemetry", body)).events[0]
    again = adapt(_message("v1/gateway/telemetry", body)).events[0]
    other = adapt(
        _message("v1/gateway/telemetry", {"meter-1": [{"ts": 1764748800000, "values": {"r": 1}}]})
    ).events[0]

    assert first.event_id == again.event_id
    assert first.event_id != other.event_id


def _frigate(message_type: str = "new", label: str = "bicycle", **after: object) -> dict:
    fields = {
        "id": "1764748800.123456-abc123",
        "camera": "lift-cam-3",
        "label": label,
        "sub_label": None,
        "top_score": 0.87,
        "score": 0.8,
        "start_time": 1764748800.123456,
        "end_time": None,
        "current_zones": ["lift_car"],
    }
    fields.update(after)
    return {"type": message_type, "before": dict(fields), "after": fields}


def test_a_frigate_bicycle_detection_becomes_an_ebike_event_of_its_camera():
    adapted = adapt(_message("frigate/events", _frigate("new", "bicycle")))

    assert adapted.rejections == []
    [event] = adapted.events
    assert event.device_code == "lift-cam-3"
    assert event.event_id == "1764748800.123456-abc123:new"
    assert event.kind == "ebike_detected"
    assert event.values == {"label": "bicycle", "score": 0.87, "zones": "lift_car"}
    assert event.state == "active"
    assert event.occurred_at == datetime.fromtimestamp(1764748800.123456, tz=UTC)
    assert event.source_format == SourceFormat.FRIGATE


def test_a_frigate_end_message_is_a_separate_event_at_its_end_time():
    adapted = adapt(_message("frigate/events", _frigate("end", "person", end_time=1764748830.5)))

    [event] = adapted.events
    assert event.event_id == "1764748800.123456-abc123:end"
    assert event.kind == "person_detected"
    assert event.state == "ended"
    assert event.occurred_at == datetime.fromtimestamp(1764748830.5, tz=UTC)


def test_a_frigate_sub_label_is_not_kept():
    adapted = adapt(_message("frigate/events", _frigate(sub_label=["张三", 0.9])))

    assert "张三" not in json.dumps(adapted.events[0].values, ensure_ascii=False)


def _reason(message: RawMessage) -> str:
    adapted = adapt(message)
    assert adapted.events == []
    [rejection] = adapted.rejections
    return rejection.reason


def test_truncated_json_is_rejected_as_malformed():
    assert _reason(native_message("door-1", b'{"event_id": "e-1", "kin')) == "malformed_json"


def test_a_payload_that_is_not_utf8_is_rejected_as_malformed():
    assert _reason(native_message("door-1", b"\xff\xfe{}")) == "malformed_json"


def test_nan_is_rejected_as_malformed():
    payload = b'{"event_id":"e","kind":"k","at":"2026-12-03T08:00:00Z","values":{"t":NaN}}'
    assert _reason(native_message("door-1", payload)) == "malformed_json"


def test_a_json_string_instead_of_an_event_is_rejected_as_invalid_format():
    assert _reason(native_message("door-1", "hello")) == "invalid_format"


def test_a_number_where_the_kind_belongs_is_rejected_as_invalid_field():
    assert _reason(native_message("door-1", native_event(kind=5))) == "invalid_field"


def test_a_time_without_its_offset_is_rejected_as_invalid_field():
    assert _reason(native_message("door-1", native_event(at="2026-12-03T08:00:00"))) == (
        "invalid_field"
    )


def test_a_nested_value_is_rejected_as_invalid_field():
    assert _reason(native_message("door-1", native_event(values={"a": {"b": 1}}))) == (
        "invalid_field"
    )


def test_an_event_more_than_five_minutes_ahead_is_rejected_as_future():
    assert _reason(native_message("door-1", native_event(at="2026-12-03T08:05:01+00:00"))) == (
        "future_timestamp"
    )


def test_an_event_five_minutes_ahead_is_accepted():
    adapted = adapt(native_message("door-1", native_event(at="2026-12-03T08:05:00+00:00")))

    assert len(adapted.events) == 1


@override_settings(GRIDGOV_SENSING_MAX_EVENTS_PER_MESSAGE=3)
def test_a_message_with_too_many_events_is_rejected_whole():
    body = [native_event(f"e-{n}") for n in range(4)]

    assert _reason(native_message("door-1", body)) == "too_many_events"


def test_a_ten_megabyte_payload_is_rejected_without_being_parsed():
    # Not JSON at all: parsing it would give malformed_json, so the reason proves it was not.
    assert _reason(native_message("door-1", b"x" * (10 * 1024 * 1024))) == "payload_too_large"


def test_an_unknown_topic_is_rejected():
    assert _reason(_message("some/other/topic", native_event())) == "unknown_topic"


def test_a_device_posting_another_devices_event_over_http_is_rejected():
    message = native_message(
        "door-1", native_event(device="door-2"), channel="http", sender="door-1"
    )

    assert _reason(message) == "device_mismatch"


def test_a_frigate_message_without_a_type_is_rejected_as_invalid_field():
    body = _frigate()
    body["type"] = "deleted"

    assert _reason(_message("frigate/events", body)) == "invalid_field"
