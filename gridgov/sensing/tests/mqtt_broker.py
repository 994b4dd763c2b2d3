"""Test helpers for the real local Mosquitto at 127.0.0.1:1883 and real ingester processes.

Outside CI a broker that is down skips the test with the reason; under ``CI=true`` it fails it
(``gridgov.core.testing.require_service``). Every test process publishes and ingests under its
own topic prefix (``GRIDGOV_MQTT_TOPIC_PREFIX``), so test runs sharing the broker never hear each
other; each test also uses its own device codes, event ids, shared-subscription group and client
ids, and forgets its sessions afterwards: tests never steal each other's messages.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from paho.mqtt.client import Client
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gridgov.core.testing import require_service

BROKER_HOST = "127.0.0.1"
BROKER_PORT = 1883
BROKER_URL = f"mqtt://{BROKER_HOST}:{BROKER_PORT}"


def unique(prefix: str) -> str:
    """A name no other test run uses: ``prefix-<12 hex digits>``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# This test process's namespace on the shared broker; the ingesters strip it before reading.
TOPIC_PREFIX = unique("gridgov-test") + "/"


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def connected_client(
    client_id: str, *, clean_start: bool = True, expiry: int = 0, max_inflight: int = 20
) -> Client:
    """A started MQTT 5 client, connected (CONNACK received) or an AssertionError."""
    client = Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.max_inflight_messages_set(max_inflight)
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = expiry
    client.connect(
        BROKER_HOST, BROKER_PORT, keepalive=30, clean_start=clean_start, properties=properties
    )
    client.loop_start()
    wait_until(client.is_connected, timeout=10, what=f"{client_id} to connect")
    return client


def session_inspect(client_id: str, *, listen: float = 2.0) -> tuple[bool, int]:
    """(whether the broker held a session for ``client_id``, messages it still had to send).

    Looking takes the session over and ends it (expiry 0), so do it last.
    """
    present: list[bool] = []
    received: list[int] = []
    client = Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.on_connect = lambda _c, _u, flags, _rc, _p: present.append(flags.session_present)
    client.on_message = lambda _c, _u, message: received.append(message.mid)
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 0
    client.connect(BROKER_HOST, BROKER_PORT, clean_start=False, properties=properties)
    client.loop_start()
    try:
        wait_until(lambda: bool(present), timeout=10, what=f"{client_id} to connect")
        time.sleep(listen)
    finally:
        client.disconnect()
        client.loop_stop()
    return present[0], len(received)


def session_forget(client_id: str) -> None:
    """End ``client_id``'s persistent session on the broker (clean start, expiry 0)."""
    client = connected_client(client_id, clean_start=True, expiry=0)
    client.disconnect()
    client.loop_stop()


class Publisher:
    """A device-side publisher: QoS 1, each message confirmed by the broker (PUBACK)."""

    def __init__(self) -> None:
        self.client = connected_client(unique("gridgov-test-publisher"), max_inflight=100)
        self.sent = 0

    def publish(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(TOPIC_PREFIX + topic, payload, qos=1)
        info.wait_for_publish(timeout=30)
        assert info.is_published(), f"the broker did not confirm a message on {topic}"
        self.sent += 1

    def publish_many(
        self, messages: Iterable[tuple[str, bytes]], *, per_second: float | None = None
    ) -> None:
        """Publish in order, at most ``per_second``, and wait until the broker confirmed all."""
        started = time.monotonic()
        pending = []
        for index, (topic, payload) in enumerate(messages):
            if per_second is not None:
                delay = started + index / per_second - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            pending.append(self.client.publish(TOPIC_PREFIX + topic, payload, qos=1))
        for info in pending:
            info.wait_for_publish(timeout=60)
            assert info.is_published(), "the broker did not confirm every message"
        self.sent += len(pending)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class PublishingThread(threading.Thread):
    """``Publisher.publish_many`` in the background, so a test can kill ingesters meanwhile."""

    def __init__(
        self,
        messages: list[tuple[str, bytes]],
        *,
        per_second: float | None = None,
        after: threading.Event | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.messages = messages
        self.per_second = per_second
        self.after = after
        self.error: BaseException | None = None

    def run(self) -> None:
        if self.after is not None and not self.after.wait(60):
            self.error = AssertionError("the ingester never subscribed")
            return
        publisher = Publisher()
        try:
            publisher.publish_many(self.messages, per_second=self.per_second)
        except BaseException as error:
            self.error = error
        finally:
            publisher.close()

    def finish(self, timeout: float = 120) -> None:
        self.join(timeout)
        assert not self.is_alive(), "the publisher did not finish"
        assert self.error is None, f"the publisher failed: {self.error!r}"


def broker_required() -> str:
    """The broker's URL, once it answers; the test is skipped (failed under CI=true) if not."""
    require_service(BROKER_HOST, BROKER_PORT, "Mosquitto (MQTT broker)")
    return BROKER_URL


# --- the ingester's database, shared with the test ----------------------------------------------


class SharedDatabase:
    """The test database as seen by an ingester subprocess.

    PostgreSQL: the subprocess connects to the test database itself (rows committed by either
    side are seen by the other; the test must be ``transaction=True``).
    SQLite: the test database lives in this process's memory, so the subprocess gets a file
    copy (``share()``), and ``refresh()`` copies the file back for the test's queries.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.is_sqlite = connection.vendor == "sqlite"
        self.file = directory / "ingester.sqlite3"

    def environment(self) -> dict[str, str]:
        environment = {
            **os.environ,
            "GRIDGOV_VAR_DIR": str(settings.VAR_DIR),
            "GRIDGOV_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        if self.is_sqlite:
            environment["DATABASE_URL"] = ""
            environment["GRIDGOV_SQLITE_NAME"] = str(self.file)
        else:
            environment["DATABASE_URL"] = self._postgres_url()
        return environment

    def share(self) -> None:
        """Make the rows this test committed visible to the subprocesses."""
        if not self.is_sqlite:
            return
        connection.ensure_connection()
        target = sqlite3.connect(self.file)
        try:
            connection.connection.backup(target)
        finally:
            target.close()

    def refresh(self) -> None:
        """Make the rows the subprocesses committed visible to this test's queries."""
        if not self.is_sqlite:
            return
        connection.ensure_connection()
        source = sqlite3.connect(self.file, timeout=20)
        try:
            source.backup(connection.connection)
        finally:
            source.close()

    @staticmethod
    def _postgres_url() -> str:
        database = connection.settings_dict
        user = quote(database.get("USER") or "", safe="")
        password = quote(database.get("PASSWORD") or "", safe="")
        login = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = database.get("HOST") or "127.0.0.1"
        port = database.get("PORT") or 5432
        return f"postgres://{login}{host}:{port}/{database['NAME']}"


class IngesterProcess:
    """``python -m gridgov ingest-mqtt`` as a real process, its output in files."""

    def __init__(
        self,
        database: SharedDatabase,
        *,
        client_id: str,
        group: str,
        extra: Iterable[str] = (),
        url: str = BROKER_URL,
    ) -> None:
        self.database = database
        self.url = url
        self.client_id = client_id
        self.group = group
        self.extra = list(extra)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log = database.directory / f"{client_id}.log"

    def start(self) -> IngesterProcess:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gridgov", "ingest-mqtt", *self._arguments()],
                env=self.database.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_for_output(
            f"subscribed to 3 topics as shared group {self.group}", occurrence=self.starts
        )
        return self

    def _arguments(self) -> list[str]:
        return [
            "--url",
            self.url,
            "--client-id",
            self.client_id,
            "--group",
            self.group,
            "--session-expiry",
            "600",
            "--topic-prefix",
            TOPIC_PREFIX,
            *self.extra,
        ]

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(self, text: str, *, occurrence: int = 1, timeout: float = 60) -> None:
        def seen() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the ingester exited early:\n{self.output()}")
            return self.output().count(text) >= occurrence

        wait_until(seen, timeout=timeout, what=f"the ingester to log {text!r}")

    def run_once(self, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """The same ingester as a command that exits by itself (``--drain``)."""
        return subprocess.run(
            [sys.executable, "-m", "gridgov", "ingest-mqtt", *self._arguments(), *extra],
            env=self.database.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine loses power."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop_quietly(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@contextlib.contextmanager
def ingester_processes(database: SharedDatabase) -> Iterator[Callable[..., IngesterProcess]]:
    """``start(client_id=…, group=…)`` → a running ingester; all are killed and their broker
    sessions forgotten at the end, so no session outlives the test."""
    started: list[IngesterProcess] = []

    def start(
        *, client_id: str, group: str, extra: Iterable[str] = (), url: str = BROKER_URL
    ) -> IngesterProcess:
        ingester = IngesterProcess(database, client_id=client_id, group=group, extra=extra, url=url)
        started.append(ingester)
        return ingester.start()

    try:
        yield start
    finally:
        for ingester in started:
            ingester.stop_quietly()
        for ingester in started:
            with contextlib.suppress(Exception):
                session_forget(ingester.client_id)


class BrokerLink:
    """A TCP relay to the broker that a test can cut, as when the network between an ingester
    and its broker drops."""

    def __init__(self) -> None:
        self.listener = socket.create_server((BROKER_HOST, 0))
        self.url = f"mqtt://{BROKER_HOST}:{self.listener.getsockname()[1]}"
        self.cuts = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((BROKER_HOST, BROKER_PORT))
            with self._lock:
                self._sockets += [downstream, upstream]
            for source, target in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every connection through the link; new ones are relayed again."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for end in sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
        self.cuts += 1

    def close(self) -> None:
        self.listener.close()
        self.cut()
