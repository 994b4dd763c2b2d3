"""The sensing benchmark: sustained MQTT ingestion with storage and rule evaluation.

A publisher sends a stream of native device messages (each a batch of ``EVENTS_PER_MESSAGE``
events, as a gateway or an edge box sends them) to the local Mosquitto at full speed, QoS 1.
Two ``gridgov ingest-mqtt`` processes on one shared subscription store them in PostgreSQL with
the scenario catalogue installed. The figure is events stored per second, from the first
publish to the last event committed; the baseline is a bare MQTT subscriber (paho, no parsing,
no storage) receiving the same stream in the same run, so the ratio says what storage and the
rules cost on top of merely taking the messages off the broker.

Run by ``gridgov bench --only sensing`` in a subprocess of its own (``python -m
gridgov.demo.benchmarks sensing_mqtt``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BROKER_HOST = "127.0.0.1"
BROKER_PORT = 1883
DEVICES = 2_000
EVENTS_PER_MESSAGE = 20
MESSAGES = 15_000  # 300,000 events a round
ROUNDS = 3
INGESTERS = 2
# Messages the publisher may run ahead of what is stored (each ingester takes up to 1,000 in
# flight; Mosquitto queues 1,000 more per session by default).
WINDOW = 1_500
STALL_SECONDS = 60
LATENCY_RATE = 5_000  # events a second of background while incidents are timed
LATENCY_SECONDS = 60
INCIDENTS_PER_SECOND = 5
WATCH_INTERVAL = 0.05
CATEGORIES = ("door_sensor", "access_control", "smoke_detector", "water_meter")
# No secret hashes to this: the benchmark's devices publish over MQTT, never over HTTP.
UNUSABLE_SECRET = "!"  # noqa: S105 - not a secret: a digest no secret has


def _client(client_id: str) -> Any:
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    client = Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client


def _connect(client: Any) -> None:
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    client.connect(BROKER_HOST, BROKER_PORT, keepalive=60, clean_start=True)
    client.loop_start()
    if not connected.wait(10):
        raise RuntimeError("the MQTT broker at 127.0.0.1:1883 did not answer")


def _stream(codes: list[str], round_: int, prefix: str) -> list[tuple[str, bytes]]:
    """``MESSAGES`` native messages, each the events of one device in the mix the catalogue
    watches (``CATEGORIES`` in turn): door states, card passes at gates, smoke detectors'
    heartbeats, water readings within the normal range; event ids unique per device and round."""
    rng = random.Random(round_)
    start = datetime.now(UTC) - timedelta(minutes=30)
    messages = []
    for number in range(MESSAGES):
        code = codes[number % len(codes)]
        category = CATEGORIES[number % len(codes) % len(CATEGORIES)]
        events = []
        for index in range(EVENTS_PER_MESSAGE):
            at = (start + timedelta(milliseconds=number * 50 + index)).isoformat()
            event: dict[str, Any] = {"event_id": f"r{round_}-{number}-{index}", "at": at}
            if category == "door_sensor":
                event |= {"kind": "door_state", "state": rng.choice(("open", "closed"))}
            elif category == "access_control":
                event |= {
                    "kind": "card_pass",
                    "person_card": f"card-{rng.randint(1, 50_000)}",
                    "values": {"direction": rng.choice(("in", "out"))},
                }
            elif category == "water_meter":
                event |= {"kind": "reading", "values": {"flow_m3h": round(rng.uniform(0, 1.4), 3)}}
            else:
                event |= {"kind": "heartbeat", "values": {"battery": rng.randint(20, 100)}}
            events.append(event)
        topic = f"{prefix}gridgov/devices/{code}/events"
        messages.append((topic, json.dumps(events).encode()))
    return messages


def _publish(messages: list[tuple[str, bytes]]) -> float:
    """Publish everything at QoS 1 and wait for every PUBACK; returns the start time
    (``time.perf_counter``)."""
    publisher = _client(f"bench-publisher-{uuid.uuid4().hex[:8]}")
    _connect(publisher)
    started = time.perf_counter()
    infos = [publisher.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(timeout=120)
    publisher.disconnect()
    publisher.loop_stop()
    return started


def _publish_windowed(
    messages: list[tuple[str, bytes]],
    taken: Callable[[], int],
    errors: list[BaseException],
) -> None:
    """Publish at QoS 1 as fast as the subscribers take the messages, never more than ``WINDOW``
    messages ahead of ``taken()`` (messages stored, or received): a broker holds only so many
    messages for a slow session (Mosquitto's ``max_queued_messages``) and drops the rest, so
    running ahead would measure the broker's limit, not the subscribers."""
    try:
        publisher = _client(f"bench-publisher-{uuid.uuid4().hex[:8]}")
        _connect(publisher)
        infos = []
        for index, (topic, payload) in enumerate(messages):
            waited_since = time.monotonic()
            while index - taken() >= WINDOW:
                if time.monotonic() - waited_since > STALL_SECONDS:
                    raise RuntimeError(f"the subscribers took nothing for {STALL_SECONDS} s")
                time.sleep(0.002)
            infos.append(publisher.publish(topic, payload, qos=1))
        for info in infos:
            info.wait_for_publish(timeout=120)
        publisher.disconnect()
        publisher.loop_stop()
    except BaseException as error:  # reported by the caller
        errors.append(error)


def _ingest_round(messages: list[tuple[str, bytes]]) -> float:
    """Events/s from the first publish until every event of ``messages`` is committed."""
    from django.db import connection

    from gridgov.sensing.models import Event

    def newest_id() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM sensing_event")
            return int(cursor.fetchone()[0])

    before, base = Event.objects.count(), newest_id()
    expected = before + len(messages) * EVENTS_PER_MESSAGE
    stored = [0]
    errors: list[BaseException] = []
    publishing = threading.Thread(
        target=_publish_windowed,
        args=(messages, lambda: stored[0] // EVENTS_PER_MESSAGE, errors),
    )
    started = time.perf_counter()
    publishing.start()
    last_progress, last_seen = time.monotonic(), 0
    while True:
        stored[0] = newest_id() - base
        if stored[0] != last_seen:
            last_progress, last_seen = time.monotonic(), stored[0]
        if stored[0] >= expected - before and Event.objects.count() >= expected:
            break
        if errors or time.monotonic() - last_progress > STALL_SECONDS:
            raise RuntimeError(
                f"ingestion stalled at {Event.objects.count() - before} of "
                f"{expected - before} events ({errors or 'no progress'})"
            )
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    publishing.join()
    return (expected - before) / elapsed


def _bare_subscriber(prefix: str, count: int, received: Any, ready: Any, finished: Any) -> None:
    """A bare subscriber in a process of its own: counts messages into ``received`` (shared),
    sets ``ready`` once subscribed, and ``finished`` to the wall-clock time of the last one."""
    from paho.mqtt.subscribeoptions import SubscribeOptions

    done = threading.Event()

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        received.value += 1
        if received.value == count:
            finished.value = time.time()
            done.set()

    subscribed = threading.Event()
    subscriber = _client(f"bench-bare-{uuid.uuid4().hex[:8]}")
    subscriber.on_message = on_message
    subscriber.on_subscribe = lambda *_args: subscribed.set()
    _connect(subscriber)
    group = f"bench-bare-{uuid.uuid4().hex[:8]}"
    subscriber.subscribe(
        f"$share/{group}/{prefix}gridgov/devices/+/events", options=SubscribeOptions(qos=1)
    )
    if not subscribed.wait(10):
        raise RuntimeError("the bare subscriber's subscription was not confirmed")
    ready.set()
    done.wait(STALL_SECONDS * 10)
    subscriber.disconnect()
    subscriber.loop_stop()


def _bare_subscriber_rate(messages: list[tuple[str, bytes]], prefix: str) -> float:
    """Events per second a bare subscriber in its own process takes the stream off the broker,
    the publisher kept within the same window as for the ingesters."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    received = context.Value("q", 0, lock=False)
    finished = context.Value("d", 0.0, lock=False)
    ready = context.Event()
    process = context.Process(
        target=_bare_subscriber, args=(prefix, len(messages), received, ready, finished)
    )
    process.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the bare subscriber did not start")
        errors: list[BaseException] = []
        started = time.time()
        _publish_windowed(messages, lambda: int(received.value), errors)
        last, last_progress = -1, time.monotonic()
        while finished.value == 0.0:
            if errors or time.monotonic() - last_progress > STALL_SECONDS:
                raise RuntimeError(f"the bare subscriber stalled at {received.value} messages")
            if received.value != last:
                last, last_progress = received.value, time.monotonic()
            time.sleep(0.02)
        return len(messages) * EVENTS_PER_MESSAGE / (finished.value - started)
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()


def _start_ingesters(prefix: str, group: str, directory: Path) -> list[subprocess.Popen[bytes]]:
    processes = []
    for number in range(INGESTERS):
        log = (directory / f"ingest-{number}.log").open("wb")
        processes.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-m",
                    "gridgov",
                    "ingest-mqtt",
                    "--url",
                    f"mqtt://{BROKER_HOST}:{BROKER_PORT}",
                    "--client-id",
                    f"{group}-{number}",
                    "--group",
                    group,
                    "--topic-prefix",
                    prefix,
                    "--session-expiry",
                    "60",
                    "--stats-interval",
                    "5",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    for number in range(INGESTERS):
        path = directory / f"ingest-{number}.log"
        deadline = time.monotonic() + 120
        while "subscribed to 3 topics" not in path.read_text(errors="replace"):
            if time.monotonic() > deadline or processes[number].poll() is not None:
                raise RuntimeError(path.read_text(errors="replace")[-2000:])
            time.sleep(0.2)
    return processes


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _paced_publish(
    background: list[tuple[str, bytes]],
    incidents: list[tuple[str, str, bytes]],
    seconds: float,
    sent_at: dict[str, float],
) -> None:
    """Spread ``background`` evenly over ``seconds`` and the incidents among it, recording the
    wall-clock time each incident (keyed by its device code) was handed to the broker."""
    publisher = _client(f"bench-paced-{uuid.uuid4().hex[:8]}")
    _connect(publisher)
    per_incident = max(1, len(background) // max(1, len(incidents)))
    started = time.monotonic()
    infos = []
    pending = list(incidents)
    for index, (topic, payload) in enumerate(background):
        delay = started + index * seconds / len(background) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        infos.append(publisher.publish(topic, payload, qos=1))
        if index % per_incident == 0 and pending:
            code, incident_topic, incident_payload = pending.pop(0)
            sent_at[code] = time.time()
            infos.append(publisher.publish(incident_topic, incident_payload, qos=1))
    for info in infos:
        info.wait_for_publish(timeout=120)
    publisher.disconnect()
    publisher.loop_stop()


def _p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _alarm_latency(codes: list[str], prefix: str, group: str, directory: Path) -> dict[str, Any]:
    """Event → alarm visible to the board's query, at ``LATENCY_RATE`` events/s of background.

    Each incident is a smoke alarm of a smoke detector not in alarm yet (a new alarm each); the
    watcher asks what the operator's board asks when it polls (``alarm_list_for_actor`` after
    the newest alarm shown) every ``WATCH_INTERVAL`` seconds.
    """
    from django.db import connection

    from gridgov.accounts.models import User
    from gridgov.sensing.selectors import alarm_list_for_actor

    smoke = [
        code for number, code in enumerate(codes) if CATEGORIES[number % 4] == "smoke_detector"
    ]
    background = _stream(codes, 99, prefix)[
        : int(LATENCY_RATE * LATENCY_SECONDS) // EVENTS_PER_MESSAGE
    ]
    now = datetime.now(UTC).isoformat()
    incidents = [
        (code, f"{prefix}gridgov/devices/{code}/events",
         json.dumps({"event_id": f"smoke-{code}", "kind": "smoke_alarm", "at": now,
                     "state": "alarm", "values": {"obscuration": 4.2}}).encode())
        for code in smoke[: int(INCIDENTS_PER_SECOND * LATENCY_SECONDS)]
    ]  # fmt: skip
    operator = User.objects.get(username="operator")
    newest = alarm_list_for_actor(actor=operator).values_list("pk", flat=True).first() or 0
    sent_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    # The baseline: when a plain subscriber gets each incident from the broker.
    delivered_at: dict[str, float] = {}

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        if b'"smoke_alarm"' in message.payload:
            delivered_at.setdefault(message.topic.split("/")[-2], time.time())

    listener = _client(f"bench-listener-{uuid.uuid4().hex[:8]}")
    listener.on_message = on_message
    _connect(listener)
    listener.subscribe(f"{prefix}gridgov/devices/+/events", qos=0)
    ingesters = _start_ingesters(prefix, group, directory)
    try:
        publishing = threading.Thread(
            target=_paced_publish, args=(background, incidents, LATENCY_SECONDS, sent_at)
        )
        publishing.start()
        deadline = time.monotonic() + LATENCY_SECONDS + 120
        while len(seen_at) < len(incidents) and time.monotonic() < deadline:
            for pk, code in alarm_list_for_actor(actor=operator, after_id=newest).values_list(
                "pk", "device__code"
            ):
                seen_at.setdefault(code, time.time())
                newest = max(newest, pk)
            time.sleep(WATCH_INTERVAL)
        publishing.join()
    finally:
        _stop(ingesters)
        listener.disconnect()
        listener.loop_stop()
        connection.close()
    latencies = sorted(
        (seen_at[code] - sent_at[code]) * 1000 for code in sent_at if code in seen_at
    )
    broker = sorted(
        (delivered_at[code] - sent_at[code]) * 1000 for code in sent_at if code in delivered_at
    )
    if not latencies or not broker:
        raise RuntimeError("no incident raised an alarm")
    return {
        "p99_ms": _p99(latencies),
        "median_ms": statistics.median(latencies),
        "broker_p99_ms": _p99(broker),
        "incidents": len(incidents),
        "alarms_seen": len(latencies),
        "background_events_per_second": LATENCY_RATE,
    }


def task_sensing_mqtt() -> dict[str, Any]:
    from gridgov.demo.benchmarks import _settle, _setup_django

    _setup_django()
    from django.db import connection

    from gridgov.demo.services import demo_town_generate
    from gridgov.grids.models import Cell
    from gridgov.sensing.models import Device, Scenario

    demo_town_generate(profile="small")
    scenarios = 0
    try:
        from gridgov.sensing.scenario_catalogue import install_scenarios
    except ImportError:
        install_scenarios = None
    if install_scenarios is not None and not Scenario.objects.exists():
        install_scenarios()
    scenarios = Scenario.objects.filter(enabled=True).count()
    cells = list(Cell.objects.order_by("id").values_list("id", flat=True)[:50])
    Device.objects.bulk_create(
        Device(
            code=f"bench-{number:05d}",
            name=f"bench {number}",
            category=CATEGORIES[number % len(CATEGORIES)],
            cell_id=cells[number % len(cells)],
            heartbeat_interval_seconds=60,
            secret_hash=UNUSABLE_SECRET,
        )
        for number in range(DEVICES)
    )
    codes = [f"bench-{number:05d}" for number in range(DEVICES)]
    if connection.vendor == "postgresql":
        _settle(connection, "VACUUM ANALYZE")
    connection.close()

    prefix = f"bench-{uuid.uuid4().hex[:8]}/"
    group = f"bench-{uuid.uuid4().hex[:8]}"
    baseline_rates = []
    rates = []
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-mqtt-") as name:
        directory = Path(name)
        for round_ in range(ROUNDS):
            messages = _stream(codes, round_, prefix)
            baseline_rates.append(_bare_subscriber_rate(messages, prefix))
            ingesters = _start_ingesters(prefix, f"{group}-r{round_}", directory)
            try:
                rates.append(_ingest_round(messages))
            finally:
                _stop(ingesters)
                connection.close()
        latency = _alarm_latency(codes, prefix, f"{group}-latency", directory)
    return {
        "alarm_latency": latency,
        "events_per_second": statistics.median(rates),
        "round_rates": rates,
        "baseline_events_per_second": statistics.median(baseline_rates),
        "baseline_round_rates": baseline_rates,
        "events": MESSAGES * EVENTS_PER_MESSAGE,
        "events_per_message": EVENTS_PER_MESSAGE,
        "ingesters": INGESTERS,
        "devices": DEVICES,
        "scenarios": scenarios,
        "cpus": os.cpu_count(),
    }
