"""The MQTT ingester against the real Mosquitto: every published event stored exactly once.

Ingesters run as real processes (``python -m gridgov ingest-mqtt``) on the test database, so
they can be killed with SIGKILL in the middle of a QoS 1 stream. Each test has its own devices,
event ids, shared-subscription group and client ids.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from django.db import OperationalError
from django.utils import timezone

from gridgov.sensing.adapters import RejectReason, native_topic
from gridgov.sensing.models import DeadLetter, Device, DeviceCategory, Event
from gridgov.sensing.mqtt import (
    IngesterSettings,
    MqttIngester,
    broker_address_parse,
)
from gridgov.sensing.services.ingest import ingest_messages
from gridgov.sensing.tests.factories import DeviceFactory
from gridgov.sensing.tests.mqtt_broker import (
    BROKER_URL,
    TOPIC_PREFIX,
    BrokerLink,
    IngesterProcess,
    Publisher,
    PublishingThread,
    SharedDatabase,
    broker_required,
    ingester_processes,
    session_inspect,
    unique,
    wait_until,
)

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

EVENTS = 2000
# Mosquitto keeps at most 1000 messages (max_queued_messages) for a session while its client is
# away; at this rate an ingester may take several seconds to restart without reaching that.
PER_SECOND = 150
MALFORMED_JSON_REASON = RejectReason.MALFORMED_JSON.value


@pytest.fixture
def database(transactional_db, tmp_path) -> SharedDatabase:
    broker_required()
    return SharedDatabase(tmp_path)


@pytest.fixture
def start_ingester(database) -> Iterator:
    with ingester_processes(database) as start:
        yield start


# --- devices and their events ------------------------------------------------------------------


def devices_make(count: int) -> list[Device]:
    """Devices with codes no other test run uses: every run's ingesters hear every run's topics."""
    return [
        DeviceFactory(code=unique("door"), name="单元门磁", category=DeviceCategory.DOOR_SENSOR)
        for _ in range(count)
    ]


def native_event(device: Device, event_id: str) -> tuple[str, bytes]:
    payload = {
        "event_id": event_id,
        "kind": "door",
        "at": timezone.now().isoformat(),
        "state": "open",
        "values": {"open": True},
    }
    return native_topic(device.code), json.dumps(payload).encode()


def stored_event_ids(database: SharedDatabase | None, devices: list[Device]) -> list[str]:
    """The event ids stored for ``devices``, sorted (``database`` None: this process wrote)."""
    if database is not None:
        database.refresh()
    return sorted(Event.objects.filter(device__in=devices).values_list("event_id", flat=True))


def dead_letter_reasons(database: SharedDatabase, topic: str) -> list[str]:
    database.refresh()
    return list(DeadLetter.objects.filter(topic=topic).values_list("reason", flat=True))


def stream_of(devices: list, count: int) -> list[tuple[str, bytes]]:
    run = unique("ev")
    return [
        native_event(devices[index % len(devices)], f"{run}-{index:05d}") for index in range(count)
    ]


def event_ids(stream: list[tuple[str, bytes]]) -> list[str]:
    return sorted(json.loads(payload)["event_id"] for _topic, payload in stream)


def stored_count(database: SharedDatabase | None, devices: list) -> int:
    return len(stored_event_ids(database, devices))


def wait_for_stored(database: SharedDatabase, devices: list, count: int, timeout: float = 120):
    try:
        wait_until(
            lambda: stored_count(database, devices) >= count,
            timeout=timeout,
            what=f"{count} stored events",
        )
    except AssertionError as error:
        stored = stored_count(database, devices)
        raise AssertionError(f"{error}; {stored} stored (a message was lost?)") from None


def stored_by(ingester: IngesterProcess) -> int:
    """Events an ingester stored since its last start, from the count it logs when it stops."""
    output = ingester.output()
    marker = f"mqtt ingester {ingester.client_id} stopped: "
    lines = [line.split(marker)[1] for line in output.splitlines() if marker in line]
    assert lines, f"the ingester did not stop cleanly:\n{output}"
    return int(lines[-1].split(" received, ")[1].split(" stored")[0])


# --- exactly once ------------------------------------------------------------------------------


def test_an_ingester_killed_mid_stream_and_restarted_stores_every_event_exactly_once(
    database, start_ingester
):
    # given: one ingester on its own group, and a QoS 1 stream of native events
    devices = devices_make(4)
    database.share()
    ingester = start_ingester(client_id=unique("gridgov-test-ingester"), group=unique("g"))
    stream = stream_of(devices, EVENTS)
    publishing = PublishingThread(stream, per_second=PER_SECOND)

    # when: SIGKILL part-way through the stream, then a restart with the same client id
    publishing.start()
    wait_for_stored(database, devices, EVENTS // 5)
    ingester.kill()
    stored_when_killed = stored_count(database, devices)
    ingester.start()
    publishing.finish()
    wait_for_stored(database, devices, EVENTS)

    # then: every event once — none lost, none twice
    assert EVENTS // 5 <= stored_when_killed < EVENTS
    assert stored_event_ids(database, devices) == event_ids(stream)
    assert ingester.terminate() == 0
    assert stored_count(database, devices) == EVENTS


def test_sigterm_mid_stream_acknowledges_what_was_stored_so_a_restart_repeats_nothing(
    database, start_ingester
):
    # given
    devices = devices_make(2)
    database.share()
    ingester = start_ingester(client_id=unique("gridgov-test-ingester"), group=unique("g"))
    stream = stream_of(devices, EVENTS // 2)
    publishing = PublishingThread(stream, per_second=PER_SECOND)

    # when: stopped the way systemd stops it, part-way through, then started again
    publishing.start()
    wait_for_stored(database, devices, EVENTS // 10)
    assert ingester.terminate() == 0
    stored_before_restart = stored_by(ingester)
    ingester.start()
    publishing.finish()
    wait_for_stored(database, devices, len(stream))
    assert ingester.terminate() == 0

    # then: the first run's batches were acknowledged (none comes back as a duplicate), and
    # what it had received but not stored came back to the second run
    assert stored_before_restart == stored_count(database, devices) - stored_by(ingester)
    assert f"{stored_by(ingester)} stored, 0 duplicates" in ingester.output()
    assert stored_event_ids(database, devices) == event_ids(stream)


def test_two_ingesters_on_one_shared_subscription_share_the_stream_and_store_it_once(
    database, start_ingester
):
    # given: two ingesters in one group
    devices = devices_make(4)
    database.share()
    group = unique("g")
    first = start_ingester(client_id=unique("gridgov-test-ingester"), group=group)
    second = start_ingester(client_id=unique("gridgov-test-ingester"), group=group)
    stream = stream_of(devices, EVENTS)

    # when
    publisher = Publisher()
    publisher.publish_many(stream)
    publisher.close()
    wait_for_stored(database, devices, EVENTS)

    # then: each stored part of the stream, together all of it, nothing twice
    assert first.terminate() == 0
    assert second.terminate() == 0
    assert stored_by(first) > 0
    assert stored_by(second) > 0
    assert stored_by(first) + stored_by(second) == EVENTS
    assert stored_event_ids(database, devices) == event_ids(stream)


def test_killing_one_of_two_ingesters_mid_stream_still_stores_every_event_exactly_once(
    database, start_ingester
):
    # given
    devices = devices_make(4)
    database.share()
    group = unique("g")
    start_ingester(client_id=unique("gridgov-test-ingester"), group=group)
    victim = start_ingester(client_id=unique("gridgov-test-ingester"), group=group)
    stream = stream_of(devices, EVENTS)
    publishing = PublishingThread(stream, per_second=PER_SECOND)

    # when
    publishing.start()
    wait_for_stored(database, devices, EVENTS // 4)
    victim.kill()
    victim.start()
    publishing.finish()
    wait_for_stored(database, devices, EVENTS)

    # then
    assert stored_event_ids(database, devices) == event_ids(stream)
    assert victim.terminate() == 0
    assert stored_by(victim) > 0  # the restarted ingester took its share again
    assert stored_count(database, devices) == EVENTS


def test_an_ingester_that_loses_the_broker_reconnects_and_stores_every_event_exactly_once(
    database, start_ingester
):
    # given: an ingester whose network path to the broker can be cut
    devices = devices_make(2)
    database.share()
    link = BrokerLink()
    ingester = start_ingester(
        client_id=unique("gridgov-test-ingester"), group=unique("g"), url=link.url
    )
    stream = stream_of(devices, EVENTS // 2)
    publishing = PublishingThread(stream, per_second=PER_SECOND)

    # when: the connection drops twice in the middle of the stream
    try:
        publishing.start()
        wait_for_stored(database, devices, EVENTS // 10)
        link.cut()
        ingester.wait_for_output("(session present: True)")
        wait_for_stored(database, devices, EVENTS // 4)
        link.cut()
        ingester.wait_for_output("(session present: True)", occurrence=2)
        publishing.finish()
        wait_for_stored(database, devices, len(stream))
        output = ingester.output()
    finally:
        link.close()

    # then
    assert output.count("lost the broker") == 2
    assert stored_event_ids(database, devices) == event_ids(stream)


# --- bad input and failure -----------------------------------------------------------------------


def test_a_malformed_message_in_the_stream_is_dead_lettered_and_the_ingester_carries_on(
    database, start_ingester
):
    # given
    devices = devices_make(1)
    database.share()
    ingester = start_ingester(client_id=unique("gridgov-test-ingester"), group=unique("g"))
    before, after = stream_of(devices, 100), stream_of(devices, 100)
    topic = native_event(devices[0], "x")[0]
    truncated = b'{"event_id": "cut-off", "kind": "door.open", "at": "2026-'

    # when
    publisher = Publisher()
    publisher.publish_many([*before, (topic, truncated), *after])
    publisher.close()
    wait_for_stored(database, devices, 200)

    # then: the bad message is kept with its reason; the events around it are all stored
    assert dead_letter_reasons(database, topic) == [MALFORMED_JSON_REASON]
    assert stored_event_ids(database, devices) == event_ids(before + after)
    assert ingester.is_running()
    assert ingester.terminate() == 0
    assert f"200 stored, 0 duplicates, 1 rejected ({MALFORMED_JSON_REASON}=1)" in ingester.output()


def test_a_batch_the_database_refused_is_retried_and_acknowledged_only_once_stored(
    transactional_db,
):
    # given: an ingester in this process whose first two writes fail as if the database were down
    broker_required()
    devices = devices_make(2)
    stream = stream_of(devices, 40)
    attempts: list[int] = []
    stored: list[int] = []

    def database_down_twice(messages):
        attempts.append(len(messages))
        if len(attempts) <= 2:
            raise OperationalError("connection to the database lost")
        result = ingest_messages(messages)
        stored.append(result.stored)
        if sum(stored) >= len(stream):
            ingester.request_stop()
        return result

    ingester = MqttIngester(
        IngesterSettings(
            broker=broker_address_parse(BROKER_URL),
            client_id=unique("gridgov-test-ingester"),
            group=unique("g"),
            batch_size=100,
            max_delay=0.5,
            session_expiry=600,
            max_backoff=0.5,
            topic_prefix=TOPIC_PREFIX,
        ),
        ingest=database_down_twice,
    )
    publishing = PublishingThread(stream, after=ingester.subscribed)
    watchdog = threading.Timer(90, ingester.request_stop)

    # when
    publishing.start()
    watchdog.start()
    try:
        ingester.run()
    finally:
        watchdog.cancel()
    publishing.finish()

    # then: the refused batch was written on the third attempt, every event once ...
    assert ingester.counts.failed_attempts == 2
    assert attempts[0] == attempts[1] == attempts[2]
    assert stored_event_ids(None, devices) == event_ids(stream)
    assert ingester.counts.stored == len(stream)
    # ... and acknowledged: its session on the broker has nothing left to send again
    assert session_inspect(ingester.settings.client_id) == (True, 0)


def test_draining_a_retired_ingester_stores_what_its_session_held_and_ends_the_session(
    database, start_ingester
):
    # given: the group's only ingester is gone, and its session collects the stream
    devices = devices_make(2)
    database.share()
    ingester = start_ingester(client_id=unique("gridgov-test-ingester"), group=unique("g"))
    ingester.kill()
    stream = stream_of(devices, 300)
    publisher = Publisher()
    publisher.publish_many(stream)
    publisher.close()

    # when
    drained = ingester.run_once("--drain")

    # then
    assert drained.returncode == 0, drained.stderr
    assert f"mqtt ingester {ingester.client_id} drained; its session is ended" in drained.stderr
    assert "300 received, 300 stored, 0 duplicates" in drained.stdout
    assert stored_event_ids(database, devices) == event_ids(stream)
    assert session_inspect(ingester.client_id, listen=0) == (False, 0)
