"""The MQTT ingester (DESIGN D5): broker → batches → ``ingest_messages`` → acknowledgements.

Exactly-once storage is built from two halves:

- **at least once from the broker**: QoS 1 subscriptions in a persistent MQTT 5 session
  (``clean_start=False`` and a session expiry interval), so the broker keeps the ingester's
  messages while it is away, and **manual acknowledgement**: the PUBACK for a message leaves only
  after the batch holding it has been committed. A message in a batch that was not committed
  (SIGKILL, a crash, the database down) is sent again when the ingester comes back;
- **idempotent storage**: an event is unique per (device, event id), so a message sent twice is
  stored once (``gridgov.sensing.services.ingest``).

Several ingesters share the stream through MQTT 5 shared subscriptions (``$share/<group>/…``):
the broker hands each message to one member of the group.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.translation import gettext as _
from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from gridgov.sensing.services.ingest import IngestResult, RawMessage, ingest_messages

logger = logging.getLogger(__name__)

# The three published formats the ingester takes (docs/devices.md): our native events, the
# ThingsBoard gateway telemetry API and Frigate's event stream.
TOPICS = ("gridgov/devices/+/events", "v1/gateway/telemetry", "frigate/events")
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
# The broker may keep at most this many unacknowledged messages in flight towards one client
# (MQTT 5 Receive Maximum); it must exceed a batch, or a batch could never fill.
RECEIVE_MAXIMUM_LIMIT = 65535
CHANNEL = "mqtt"
# Seconds a stopping ingester waits for its DISCONNECT (and the acknowledgements before it) to go.
DISCONNECT_TIMEOUT = 10


class IngesterConfigurationError(ValueError):
    """A broker address, group name or limit the ingester cannot work with."""


class IngesterStoppedError(RuntimeError):
    """The broker refused what the ingester needs (a subscription, the login)."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    uses_tls: bool

    def __str__(self) -> str:
        scheme = "mqtts" if self.uses_tls else "mqtt"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


def broker_address_parse(url: str) -> BrokerAddress:
    """``mqtt://host[:1883]`` or ``mqtts://host[:8883]`` → a broker address.

    Credentials never travel in the address (it shows in process lists and logs): they come
    from ``GRIDGOV_MQTT_USERNAME`` and ``GRIDGOV_MQTT_PASSWORD``.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise IngesterConfigurationError(
            _("the broker address must start with mqtt:// or mqtts://, for example %(example)s")
            % {"example": "mqtt://127.0.0.1:1883"}
        )
    if parts.username is not None or parts.password is not None:
        raise IngesterConfigurationError(
            _(
                "the broker address must not hold a user name or password; "
                "set GRIDGOV_MQTT_USERNAME and GRIDGOV_MQTT_PASSWORD instead"
            )
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or port == 0 or parts.path not in ("", "/"):
        raise IngesterConfigurationError(
            _("the broker address must be scheme://host:port, for example %(example)s")
            % {"example": "mqtt://127.0.0.1:1883"}
        )
    return BrokerAddress(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[parts.scheme],
        uses_tls=parts.scheme == "mqtts",
    )


def shared_topic(group: str, topic: str) -> str:
    """The MQTT 5 shared subscription of ``group`` to ``topic`` (MQTT 5.0 §4.8.2)."""
    return f"$share/{group}/{topic}"


def group_name_check(group: str) -> str:
    """A share name is at least one character and holds no ``/``, ``+`` or ``#`` (§4.8.2)."""
    if not group or any(character in group for character in "/+#"):
        raise IngesterConfigurationError(
            _("the group name must be non-empty and must not contain /, + or #")
        )
    return group


def topic_prefix_check(prefix: str) -> str:
    """Empty, or topic levels ending in ``/`` without wildcards and not starting with ``$``."""
    if prefix and (
        not prefix.endswith("/")
        or prefix.startswith(("$", "/"))
        or any(character in prefix for character in "+#")
        or "//" in prefix
    ):
        raise IngesterConfigurationError(
            _("the topic prefix must be empty or end with /, for example %(example)s")
            % {"example": "town-a/"}
        )
    return prefix


def default_client_id() -> str:
    """Stable across restarts on one host, so a restarted ingester finds its session again."""
    return f"gridgov-ingest-{socket.gethostname()}"


@dataclass(frozen=True)
class IngesterSettings:
    broker: BrokerAddress
    client_id: str
    group: str = "gridgov"
    batch_size: int = 500
    max_delay: float = 0.2
    # How long the broker keeps the session (subscriptions and the messages for it) while the
    # ingester is away; a restart within this time loses nothing.
    session_expiry: int = 7 * 24 * 60 * 60
    username: str = ""
    password: str = ""
    keepalive: int = 30
    stats_interval: float = 60.0
    max_backoff: float = 30.0
    # Retiring an ingester: take no new messages, store what its session still holds, and end
    # the session once nothing has arrived for ``drain_idle`` seconds.
    drain: bool = False
    drain_idle: float = 5.0
    # A namespace in front of the three topics (``town-a/`` → ``town-a/frigate/events``), for a
    # broker that serves more than one deployment; stripped before the payload is read.
    topic_prefix: str = ""

    def __post_init__(self) -> None:
        group_name_check(self.group)
        topic_prefix_check(self.topic_prefix)
        if not self.client_id:
            raise IngesterConfigurationError(_("the client id must not be empty"))
        if self.batch_size < 1:
            raise IngesterConfigurationError(_("the batch size must be at least 1"))
        if not self.max_delay > 0:
            raise IngesterConfigurationError(_("the maximum delay must be more than 0 seconds"))
        if not 0 < self.session_expiry <= 0xFFFFFFFF:
            raise IngesterConfigurationError(
                _("the session expiry must be between 1 and 4294967295 seconds")
            )

    @property
    def receive_maximum(self) -> int:
        # Two batches in flight: the next one fills while the current one is written.
        return min(RECEIVE_MAXIMUM_LIMIT, max(2 * self.batch_size, 100))


@dataclass
class IngesterCounts:
    """What the ingester did since it started — counts only, never message contents."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    failed_attempts: int = 0
    held_back: int = 0

    def add(self, result: IngestResult) -> None:
        self.batches += 1
        self.stored += result.stored
        self.duplicates += result.duplicates
        self.rejected.update(result.rejected)

    def summary(self) -> str:
        reasons = ", ".join(f"{reason}={count}" for reason, count in sorted(self.rejected.items()))
        return (
            f"{self.received} received, {self.stored} stored, {self.duplicates} duplicates, "
            f"{sum(self.rejected.values())} rejected ({reasons or 'none'}), "
            f"{self.batches} batches, {self.failed_attempts} failed attempts, "
            f"{self.held_back} held back"
        )


@dataclass(frozen=True)
class Delivery:
    """A message as received, with what is needed to acknowledge it on its own connection."""

    message: RawMessage
    mid: int
    qos: int
    connection: int


IngestFunction = Callable[[Sequence[RawMessage]], IngestResult]


class MqttIngester:
    """One ingester process: paho's network thread receives, the calling thread stores.

    ``run()`` blocks until ``request_stop()`` (from a signal handler) and then finishes the
    batch in hand, acknowledges it and disconnects cleanly.
    """

    def __init__(self, settings: IngesterSettings, *, ingest: IngestFunction = ingest_messages):
        self.settings = settings
        self.counts = IngesterCounts()
        self.subscribed = threading.Event()
        self.draining = threading.Event()
        self.drained = False
        self._draining_since = 0.0
        self._ingest = ingest
        self._inbox: queue.Queue[Delivery] = queue.Queue()
        self._stop = threading.Event()
        # Set once the network thread has written our DISCONNECT (and so every PUBACK queued
        # before it) and closed the socket.
        self._disconnected = threading.Event()
        self._lock = threading.Lock()
        self._connection = 0  # incremented on every successful connect
        self._fatal: str | None = None
        self._client = self._client_build()

    # --- lifecycle ------------------------------------------------------------------------

    def run(self) -> None:
        settings = self.settings
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = settings.session_expiry
        properties.ReceiveMaximum = settings.receive_maximum
        logger.info(
            "mqtt ingester %s connecting to %s (group %s, batch %d, max delay %.3f s)",
            settings.client_id,
            settings.broker,
            settings.group,
            settings.batch_size,
            settings.max_delay,
        )
        self._client.connect_async(
            settings.broker.host,
            settings.broker.port,
            keepalive=settings.keepalive,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()
        next_report = time.monotonic() + settings.stats_interval
        last_message = time.monotonic()
        try:
            while not self._stop.is_set():
                batch = self._batch_collect()
                now = time.monotonic()
                if batch:
                    self._batch_store(batch)
                    last_message = now
                elif self._drain_is_complete(now, last_message):
                    self.drained = True
                    break
                if now >= next_report:
                    logger.info("mqtt ingester %s: %s", settings.client_id, self.counts.summary())
                    next_report = now + settings.stats_interval
        finally:
            self._disconnect()
            logger.info("mqtt ingester %s stopped: %s", settings.client_id, self.counts.summary())
        if self._fatal is not None:
            raise IngesterStoppedError(self._fatal)

    def request_stop(self) -> None:
        self._stop.set()

    def _drain_is_complete(self, now: float, last_message: float) -> bool:
        if not (self.settings.drain and self.draining.is_set() and self._inbox.empty()):
            return False
        return now - max(last_message, self._draining_since) >= self.settings.drain_idle

    def _disconnect(self) -> None:
        properties = None
        if self.drained:
            # Session expiry 0 at DISCONNECT ends the session on the broker (MQTT 5.0 §3.14.2.2.2).
            properties = Properties(PacketTypes.DISCONNECT)
            properties.SessionExpiryInterval = 0
            logger.info("mqtt ingester %s drained; its session is ended", self.settings.client_id)
        self._disconnected.clear()
        # loop_stop() alone may end the network thread before it has written what is queued:
        # the last batch's PUBACKs would be lost and the batch delivered again.
        sent = self._client.disconnect(properties=properties) == MQTTErrorCode.MQTT_ERR_SUCCESS
        if sent and not self._disconnected.wait(DISCONNECT_TIMEOUT):
            logger.warning(
                "mqtt ingester %s: the broker did not see a clean disconnect within %d s",
                self.settings.client_id,
                DISCONNECT_TIMEOUT,
            )
        self._client.loop_stop()

    # --- storing and acknowledging --------------------------------------------------------

    def _batch_collect(self) -> list[Delivery]:
        """Up to ``batch_size`` messages, waiting at most ``max_delay`` after the first."""
        try:
            first = self._inbox.get(timeout=0.5)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.max_delay
        while len(batch) < self.settings.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._inbox.get(timeout=remaining))
            except queue.Empty:
                break
        self.counts.received += len(batch)
        return batch

    def _batch_store(self, batch: list[Delivery]) -> None:
        """Store the batch, then acknowledge it; a failed write is retried, never dropped.

        A database failure retries the whole batch with back-off until it is committed (or the
        ingester is stopped, leaving the batch unacknowledged for the broker to send again).
        Any other exception is a fault in one message's handling: the batch is split until the
        message is alone, the others are stored, and that one is held back unacknowledged — the
        broker keeps it and sends it again on the next connection.
        """
        attempt = 0
        while not self._stop.is_set() or attempt == 0:
            try:
                result = self._ingest([delivery.message for delivery in batch])
            except DatabaseError as error:
                attempt += 1
                self._failure_note(error, len(batch), attempt)
                connections.close_all()  # the next attempt opens a fresh connection
                if self._stop.wait(self._backoff(attempt)):
                    break
                continue
            except Exception as error:
                attempt += 1
                self._failure_note(error, len(batch), attempt)
                connections.close_all()
                self._batch_isolate(batch)
                return
            self.counts.add(result)
            self._acknowledge(batch)
            return
        logger.warning(
            "mqtt ingester %s stopping with %d messages not stored; the broker sends them again",
            self.settings.client_id,
            len(batch),
        )

    def _batch_isolate(self, batch: list[Delivery]) -> None:
        if len(batch) == 1:
            self.counts.held_back += 1
            logger.error(
                "mqtt ingester %s: a message on %s cannot be processed and is held back "
                "unacknowledged (the broker sends it again after a reconnection)",
                self.settings.client_id,
                batch[0].message.topic,
            )
            return
        middle = len(batch) // 2
        for part in (batch[:middle], batch[middle:]):
            self._batch_store(part)

    def _failure_note(self, error: Exception, size: int, attempt: int) -> None:
        # The exception's text may quote message contents (a database error quotes key values):
        # the log names its type only; the traceback goes to the debug level.
        self.counts.failed_attempts += 1
        logger.warning(
            "mqtt ingester %s: a batch of %d messages was not stored (%s, attempt %d)",
            self.settings.client_id,
            size,
            type(error).__name__,
            attempt,
        )
        logger.debug("batch failure", exc_info=error)

    def _backoff(self, attempt: int) -> float:
        return float(min(self.settings.max_backoff, 0.5 * 2 ** min(attempt - 1, 16)))

    def _acknowledge(self, batch: list[Delivery]) -> None:
        """PUBACK the batch's messages that came on the current connection, in order.

        A message received on an earlier connection is not acknowledged: after a reconnection
        the broker sends it again (same packet id, possibly already reused for another message),
        and the copy is acknowledged instead.
        """
        with self._lock:
            current = self._connection
        for delivery in batch:
            if delivery.qos > 0 and delivery.connection == current:
                self._client.ack(delivery.mid, delivery.qos)

    # --- paho callbacks (network thread) ----------------------------------------------------

    def _client_build(self) -> Client:
        settings = self.settings
        client = Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        if settings.broker.uses_tls:
            client.tls_set()
        if settings.username:
            client.username_pw_set(settings.username, settings.password or None)
        client.reconnect_delay_set(min_delay=1, max_delay=max(1, int(settings.max_backoff)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        client.on_message = self._on_message
        return client

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            logger.error(
                "mqtt ingester %s: the broker refused the connection (%s); retrying",
                self.settings.client_id,
                reason_code,
            )
            return
        with self._lock:
            self._connection += 1
            connection = self._connection
        if connection > 1 and not flags.session_present:
            logger.warning(
                "mqtt ingester %s: the broker had no session for it; messages published while "
                "it was away were not kept (broker restarted without persistence, or the "
                "session expired)",
                self.settings.client_id,
            )
        logger.info(
            "mqtt ingester %s connected to %s (session present: %s)",
            self.settings.client_id,
            self.settings.broker,
            flags.session_present,
        )
        topics = [
            shared_topic(self.settings.group, self.settings.topic_prefix + topic)
            for topic in TOPICS
        ]
        if self.settings.drain:
            client.unsubscribe(topics)
        else:
            client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in topics])

    def _on_subscribe(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            self._fatal = _(
                "The broker refused the shared subscriptions (%(reasons)s); "
                "it must support MQTT 5 shared subscriptions (Mosquitto 2, EMQX)."
            ) % {"reasons": ", ".join(refused)}
            logger.error("mqtt ingester %s: %s", self.settings.client_id, self._fatal)
            self._stop.set()
            return
        logger.info(
            "mqtt ingester %s subscribed to %d topics as shared group %s",
            self.settings.client_id,
            len(reason_codes),
            self.settings.group,
        )
        self.subscribed.set()

    def _on_unsubscribe(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        logger.info(
            "mqtt ingester %s unsubscribed from group %s; storing what its session still holds",
            self.settings.client_id,
            self.settings.group,
        )
        self._draining_since = time.monotonic()
        self.draining.set()

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._disconnected.set()
        if self._stop.is_set():
            return
        logger.warning(
            "mqtt ingester %s lost the broker (%s); reconnecting with back-off",
            self.settings.client_id,
            reason_code,
        )

    def _on_connect_fail(self, client: Client, userdata: Any) -> None:
        logger.warning(
            "mqtt ingester %s cannot reach %s; retrying with back-off",
            self.settings.client_id,
            self.settings.broker,
        )

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        # Never raise here: paho would drop the connection. A topic that is not UTF-8 is
        # passed on empty and dead-lettered by the service as an unknown topic.
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = ""
        prefix = self.settings.topic_prefix
        if prefix and topic.startswith(prefix):
            topic = topic[len(prefix) :]
        with self._lock:
            connection = self._connection
        self._inbox.put(
            Delivery(
                message=RawMessage(
                    channel=CHANNEL,
                    topic=topic,
                    payload=bytes(message.payload),
                    received_at=timezone.now(),
                ),
                mid=message.mid,
                qos=message.qos,
                connection=connection,
            )
        )
