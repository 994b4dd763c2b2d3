"""Storing batches: idempotent, mixed good and bad, a fixed number of queries, dead letters."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gridgov.core.crypto import lookup_hash
from gridgov.sensing.models import DeadLetter, Device, Event
from gridgov.sensing.services.ingest import RawMessage, ingest_messages
from gridgov.sensing.tests.factories import (
    RECEIVED_AT,
    DeviceFactory,
    native_event,
    native_message,
)

pytestmark = pytest.mark.django_db


def test_a_native_event_is_stored_and_its_device_marked_online():
    device = DeviceFactory(code="door-1")

    result = ingest_messages([native_message("door-1", native_event("e-1", state="open"))])

    assert (result.stored, result.duplicates, result.rejected) == (1, 0, {})
    event = Event.objects.get()
    assert (event.device, event.event_id, event.kind, event.state) == (
        device,
        "e-1",
        "door_open",
        "open",
    )
    assert event.values == {"open": True}
    assert event.received_at == RECEIVED_AT
    device.refresh_from_db()
    assert device.is_online is True
    assert device.last_seen_at == RECEIVED_AT


def test_a_replayed_batch_stores_nothing_new():
    DeviceFactory(code="door-1")
    batch = [native_message("door-1", [native_event("e-1"), native_event("e-2")])]
    ingest_messages(batch)

    result = ingest_messages(batch)

    assert (result.stored, result.duplicates, result.rejected) == (0, 2, {})
    assert Event.objects.count() == 2


def test_the_same_event_twice_in_one_batch_is_stored_once():
    DeviceFactory(code="door-1")

    result = ingest_messages(
        [
            native_message("door-1", native_event("e-1")),
            native_message("door-1", native_event("e-1")),
        ]
    )

    assert (result.stored, result.duplicates) == (1, 1)
    assert Event.objects.count() == 1


def test_the_same_event_id_from_two_devices_is_two_events():
    DeviceFactory(code="door-1")
    DeviceFactory(code="door-2")

    result = ingest_messages(
        [
            native_message("door-1", native_event("e-1")),
            native_message("door-2", native_event("e-1")),
        ]
    )

    assert result.stored == 2


def test_a_person_card_is_stored_only_as_its_keyed_hash():
    DeviceFactory(code="gate-1")

    ingest_messages([native_message("gate-1", native_event("p-1", person_card="CARD-0042"))])

    event = Event.objects.get()
    assert event.person_card_hash == lookup_hash("CARD-0042")
    assert "CARD-0042" not in json.dumps(event.values)


def test_a_mixed_batch_stores_the_good_and_dead_letters_each_bad_with_its_reason():
    DeviceFactory(code="door-1")
    DeviceFactory(code="old-1", is_active=False)

    result = ingest_messages(
        [
            native_message("door-1", native_event("e-1")),
            native_message("door-1", b'{"event_id": "e-2", "ki'),
            native_message("ghost-7", [native_event("g-1"), native_event("g-2")]),
            native_message("old-1", native_event("o-1")),
            native_message("door-1", native_event("e-3", at="2027-01-01T00:00:00+00:00")),
        ]
    )

    assert result.stored == 1
    assert result.rejected == {
        "malformed_json": 1,
        "unknown_device": 1,
        "inactive_device": 1,
        "future_timestamp": 1,
    }
    assert list(Event.objects.values_list("event_id", flat=True)) == ["e-1"]
    letters = {letter.reason: letter for letter in DeadLetter.objects.all()}
    assert set(letters) == set(result.rejected)
    assert letters["unknown_device"].device_code == "ghost-7"
    assert letters["unknown_device"].detail == "2 event(s) for this device"
    assert bytes(letters["malformed_json"].payload) == b'{"event_id": "e-2", "ki'
    assert letters["malformed_json"].topic == "gridgov/devices/door-1/events"
    assert letters["malformed_json"].channel == "mqtt"
    assert not Device.objects.get(code="old-1").is_online


def test_a_dead_letter_keeps_64_kib_of_the_payload_and_its_full_size():
    payload = b"[" + b" " * 100_000

    ingest_messages([native_message("door-1", payload)])

    letter = DeadLetter.objects.get()
    assert letter.reason == "malformed_json"
    assert len(bytes(letter.payload)) == 64 * 1024
    assert letter.size == len(payload)


def test_a_batch_costs_the_same_few_queries_whatever_its_size(django_assert_num_queries):
    for n in range(20):
        DeviceFactory(code=f"door-{n}")
    batch = [
        native_message(f"door-{n}", [native_event(f"e-{n}-{k}") for k in range(5)])
        for n in range(20)
    ] + [native_message("door-1", b"{")]

    # device lookup, event insert, last-seen update, dead-letter insert (+ savepoint pair),
    # and the enabled scenarios (kept by the process for a few seconds; none here)
    with django_assert_num_queries(7, exact=False) as captured:
        result = ingest_messages(batch)

    assert result.stored == 100
    statements = [query["sql"] for query in captured.captured_queries]
    assert sum("INSERT INTO" in sql and "sensing_event" in sql for sql in statements) == 1
    assert sum(sql.startswith("UPDATE") for sql in statements) == 1


def test_last_seen_never_moves_back():
    device = DeviceFactory(code="door-1")
    later = RECEIVED_AT + timedelta(minutes=3)
    ingest_messages([native_message("door-1", native_event("e-2"), received_at=later)])

    ingest_messages([native_message("door-1", native_event("e-1"))])

    device.refresh_from_db()
    assert device.last_seen_at == later


def test_a_thingsboard_message_is_stored_and_its_replay_is_a_duplicate():
    DeviceFactory(code="meter-1")
    message = RawMessage(
        channel="mqtt",
        topic="v1/gateway/telemetry",
        payload=json.dumps({"meter-1": [{"ts": 1764748800000, "values": {"kwh": 3.5}}]}).encode(),
        received_at=RECEIVED_AT,
    )

    first = ingest_messages([message])
    second = ingest_messages([message])

    assert (first.stored, second.stored, second.duplicates) == (1, 0, 1)
    assert Event.objects.get().values == {"kwh": 3.5}


def test_an_empty_batch_stores_nothing(django_assert_num_queries):
    with django_assert_num_queries(2, exact=False):
        result = ingest_messages([])

    assert (result.stored, result.duplicates, result.rejected) == (0, 0, {})
