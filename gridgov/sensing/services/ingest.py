"""Storing device events (DESIGN D5): adapt, validate and store a batch in one transaction.

Both the MQTT ingester (``gridgov.sensing.mqtt``) and HTTP ingestion call ``ingest_messages``.
The batch costs a fixed number of queries whatever its size: one to look its devices up, one
insert of its events that skips those already stored (idempotent on (device, event_id)), one
UPDATE of the devices' last-seen time, one insert of its dead letters; then the scenario rules
evaluate the newly stored events (``services/rules/``, a fixed number of queries too). Bad
messages never raise; they are dead-lettered with a reason code (``RejectReason``) and counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from gridgov.core.crypto import lookup_hash
from gridgov.sensing.adapters import (
    THINGSBOARD_TOPIC,
    Adapted,
    EventDraft,
    Rejection,
    RejectReason,
    adapt,
    keep_own_events,
)
from gridgov.sensing.models import Channel, DeadLetter, Device, Event
from gridgov.sensing.services.rules import Place, StoredEvent, evaluate_events

DEAD_LETTER_PAYLOAD_LIMIT = 64 * 1024
# Rows per INSERT statement: keeps SQLite under its bound-parameter limit; a batch larger than
# this (a big MQTT batch) takes one statement per chunk.
EVENT_ROWS_PER_STATEMENT = 2000


@dataclass(frozen=True)
class RawMessage:
    channel: str  # "mqtt" or "http"
    topic: str  # MQTT topic; for HTTP the format's topic
    payload: bytes
    received_at: datetime  # aware
    device_code: str = ""  # HTTP only: the device that authenticated (its events must be its own)


@dataclass
class IngestResult:
    stored: int
    duplicates: int
    rejected: dict[str, int]  # reason code → count (each also written to the dead-letter table)


@dataclass(frozen=True, slots=True)
class _KnownDevice:
    id: int
    is_active: bool
    # What the scenario rules need, read in the same query (before the batch marks it seen).
    name: str = ""
    category: str = ""
    cell_id: int | None = None
    building_id: int | None = None
    is_online: bool = True


def ingest_messages(messages: Sequence[RawMessage]) -> IngestResult:
    """Adapt, validate and store a batch in ONE transaction, committed before it returns.

    Bad messages never raise: they are dead-lettered with a reason and counted. It raises only
    when the database fails (the caller then must not acknowledge the batch).
    """
    adapted_messages = [(message, adapt(message)) for message in messages]
    _keep_gateway_devices_own_events(adapted_messages)
    drafts: list[tuple[RawMessage, EventDraft]] = []
    dead: list[DeadLetter] = []
    for message, adapted in adapted_messages:
        drafts.extend((message, event) for event in adapted.events)
        dead.extend(_dead_letter(message, rejection) for rejection in adapted.rejections)

    with transaction.atomic():
        devices = _devices_by_code({event.device_code for _message, event in drafts})
        rows, unknown = _event_rows(drafts, devices)
        dead.extend(unknown)
        new_events = _insert_events(rows) if rows else []
        stored = len(new_events)
        _mark_seen(rows)
        if dead:
            DeadLetter.objects.bulk_create(dead)
        # Inside the transaction: a batch whose rules fail is not committed, and the broker's
        # redelivery evaluates it again (a committed event is never evaluated twice).
        if new_events:
            evaluate_events(new_events, places=_places(devices))
    rejected = Counter(letter.reason for letter in dead)
    return IngestResult(stored=stored, duplicates=len(rows) - stored, rejected=dict(rejected))


def _keep_gateway_devices_own_events(adapted_messages: list[tuple[RawMessage, Adapted]]) -> None:
    """A ThingsBoard message over HTTP may carry readings of the gateway that sent it and of
    the devices registered behind that gateway, nothing else. One query, only when needed."""
    gateway_posts = [
        (message, adapted)
        for message, adapted in adapted_messages
        if message.channel == Channel.HTTP and message.topic == THINGSBOARD_TOPIC
    ]
    if not gateway_posts:
        return
    senders = {message.device_code for message, _adapted in gateway_posts}
    codes = {event.device_code for _message, adapted in gateway_posts for event in adapted.events}
    behind: dict[str, set[str]] = {}
    for code, gateway_code in Device.objects.filter(
        gateway__code__in=senders, code__in=codes
    ).values_list("code", "gateway__code"):
        behind.setdefault(gateway_code, set()).add(code)
    for message, adapted in gateway_posts:
        keep_own_events(
            adapted, message.device_code, frozenset(behind.get(message.device_code, ()))
        )


def _devices_by_code(codes: set[str]) -> dict[str, _KnownDevice]:
    if not codes:
        return {}
    rows = Device.objects.filter(code__in=codes).values_list(
        "code", "id", "is_active", "name", "category", "cell_id", "building_id", "is_online"
    )
    return {row[0]: _KnownDevice(*row[1:]) for row in rows}


def _places(devices: dict[str, _KnownDevice]) -> dict[int, Place]:
    return {
        device.id: Place(
            device.id,
            device.name,
            device.category,
            device.cell_id,
            device.building_id,
            device.is_online,
        )
        for device in devices.values()
        if device.is_active
    }


def _event_rows(
    drafts: list[tuple[RawMessage, EventDraft]], devices: dict[str, _KnownDevice]
) -> tuple[list[tuple[int, EventDraft, datetime]], list[DeadLetter]]:
    """Events whose device is known and active (a repeat inside the batch stays in: it counts
    as a duplicate, and ``_insert_events`` writes each (device, event_id) once)."""
    rows: list[tuple[int, EventDraft, datetime]] = []
    # One dead letter per message and missing device, not one per event it carried.
    refused: dict[tuple[int, str], tuple[RawMessage, str, int]] = {}
    for message, event in drafts:
        device = devices.get(event.device_code)
        if device is None or not device.is_active:
            reason = RejectReason.UNKNOWN_DEVICE if device is None else RejectReason.INACTIVE_DEVICE
            key = (id(message), event.device_code)
            _message, _reason, count = refused.get(key, (message, reason, 0))
            refused[key] = (message, reason, count + 1)
            continue
        rows.append((device.id, event, message.received_at))
    dead = [
        _dead_letter(
            message,
            Rejection(reason, f"{count} event(s) for this device", message.payload, code),
        )
        for (_id, code), (message, reason, count) in refused.items()
    ]
    return rows, dead


def _insert_events(rows: list[tuple[int, EventDraft, datetime]]) -> list[StoredEvent]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the rows that were new (the rule engine
    evaluates these and only these)."""
    unique: dict[tuple[int, str], tuple[int, EventDraft, datetime]] = {}
    for row in rows:
        unique.setdefault((row[0], row[1].event_id), row)
    columns: list[list[Any]] = [
        [device_id for device_id, _event, _received in unique.values()],
        [event.event_id for _device, event, _received in unique.values()],
        [event.kind for _device, event, _received in unique.values()],
        [event.occurred_at for _device, event, _received in unique.values()],
        [received_at for _device, _event, received_at in unique.values()],
        [
            json.dumps(event.values, ensure_ascii=False, separators=(",", ":"))
            for _device, event, _received in unique.values()
        ],
        [event.state for _device, event, _received in unique.values()],
        [event.source_format for _device, event, _received in unique.values()],
        [
            lookup_hash(event.person_card) if event.person_card else ""
            for _device, event, _received in unique.values()
        ],
    ]
    if connection.vendor == "postgresql":
        returned = _insert_events_postgresql(columns)
    else:
        returned = _insert_events_by_rows(columns)
    return _stored_events(returned, unique, columns[8])


def _stored_events(
    returned: list[tuple[int, int, str]],
    unique: dict[tuple[int, str], tuple[int, EventDraft, datetime]],
    card_hashes: list[str],
) -> list[StoredEvent]:
    hashes = dict(zip(unique, card_hashes, strict=True))
    stored = []
    for event_pk, device_id, event_id in returned:
        _device, draft, _received = unique[(device_id, event_id)]
        stored.append(
            StoredEvent(
                id=event_pk,
                device_id=device_id,
                kind=draft.kind,
                occurred_at=draft.occurred_at,
                values=draft.values,
                state=draft.state,
                person_card_hash=hashes[(device_id, event_id)],
            )
        )
    return stored


_EVENT_TABLE_COLUMNS = (
    'device_id, event_id, kind, occurred_at, received_at, "values", state, source_format, '
    "person_card_hash"
)
_CONFLICT = " ON CONFLICT (device_id, event_id) DO NOTHING RETURNING id, device_id, event_id"
# PostgreSQL partitions the table by month (migration 0004) and so keys it on (device_id,
# event_id, occurred_at): a replay carries the same time and is still a duplicate.
_CONFLICT_POSTGRESQL = (
    " ON CONFLICT (device_id, event_id, occurred_at) DO NOTHING RETURNING id, device_id, event_id"
)


def _insert_events_postgresql(columns: list[list[Any]]) -> list[tuple[int, int, str]]:
    """One statement with one array parameter per column: its text does not grow with the batch
    (a VALUES list of thousands of placeholders costs more to parse than to insert)."""
    table = connection.ops.quote_name(Event._meta.db_table)
    # Only the table name and fixed column names are interpolated; values go as parameters.
    statement = (
        f"INSERT INTO {table} ({_EVENT_TABLE_COLUMNS}) "  # noqa: S608
        "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], "
        "%s::timestamptz[], %s::text[]::jsonb[], %s::text[], %s::text[], %s::text[])"
        + _CONFLICT_POSTGRESQL
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, columns)
        return [tuple(row) for row in cursor.fetchall()]


def _insert_events_by_rows(columns: list[list[Any]]) -> list[tuple[int, int, str]]:
    """SQLite: a VALUES list, in chunks that stay under its bound-parameter limit."""
    table = connection.ops.quote_name(Event._meta.db_table)
    adapt_time = connection.ops.adapt_datetimefield_value
    rows = list(zip(*columns, strict=True))
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    stored: list[tuple[int, int, str]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), EVENT_ROWS_PER_STATEMENT):
            chunk = rows[start : start + EVENT_ROWS_PER_STATEMENT]
            parameters: list[Any] = []
            for row in chunk:
                parameters.extend(row[:3])
                parameters.extend((adapt_time(row[3]), adapt_time(row[4])))
                parameters.extend(row[5:])
            # Only the table name, fixed column names and placeholders are interpolated.
            statement = (
                f"INSERT INTO {table} ({_EVENT_TABLE_COLUMNS}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(chunk))
                + _CONFLICT
            )
            cursor.execute(statement, parameters)
            stored.extend(tuple(row) for row in cursor.fetchall())
    return stored


def _mark_seen(rows: list[tuple[int, EventDraft, datetime]]) -> None:
    """Every device heard from in the batch is online, last seen at the batch's latest arrival.

    One UPDATE; a device another ingester saw later keeps that later time.
    """
    if not rows:
        return
    seen_at = max(received_at for _device, _event, received_at in rows)
    device_ids = {device_id for device_id, _event, _received in rows}
    Device.objects.filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=seen_at), id__in=device_ids
    ).update(last_seen_at=seen_at, is_online=True)


def _dead_letter(message: RawMessage, rejection: Rejection) -> DeadLetter:
    payload = rejection.payload
    return DeadLetter(
        received_at=message.received_at,
        channel=message.channel,
        topic=message.topic[:255],
        device_code=(rejection.device_code or message.device_code)[:64],
        reason=rejection.reason,
        detail=rejection.detail[:200],
        payload=payload[:DEAD_LETTER_PAYLOAD_LIMIT],
        size=len(payload),
    )


def ingest_refuse_oversized(
    *, channel: str, topic: str, device_code: str, size: int, received_at: datetime
) -> IngestResult:
    """Count and dead-letter a body refused before it was read (its declared length too large)."""
    DeadLetter.objects.create(
        received_at=received_at,
        channel=channel,
        topic=topic[:255],
        device_code=device_code[:64],
        reason=RejectReason.PAYLOAD_TOO_LARGE,
        detail=f"{size} bytes declared; not read",
        payload=b"",
        size=size,
    )
    return IngestResult(stored=0, duplicates=0, rejected={RejectReason.PAYLOAD_TOO_LARGE: 1})
