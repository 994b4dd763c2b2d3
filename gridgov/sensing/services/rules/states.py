"""Each device's last reported state and since when (``DeviceState``), what HELD measures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gridgov.sensing.models import (
    DeviceState,
)
from gridgov.sensing.services.rules.base import (
    StoredEvent,
)


def track_states(events: Sequence[StoredEvent]) -> dict[int, tuple[str, datetime]]:
    """Upsert each device's last state and since when; returns the stored (state, since).

    A device whose batch shows one state keeps its stored ``since`` if the state is unchanged;
    a device whose batch changes state takes the start of its last run. A report older than the
    stored one changes nothing. Two statements at most.
    """
    runs: dict[int, list[Any]] = {}
    for event in events:
        if not event.state:
            continue
        run = runs.get(event.device_id)
        if run is None:
            runs[event.device_id] = [event.state, event.occurred_at, event.occurred_at, False]
        elif run[0] != event.state:
            runs[event.device_id] = [event.state, event.occurred_at, event.occurred_at, True]
        else:
            run[2] = event.occurred_at
    stored: dict[int, tuple[str, datetime]] = {}
    for changed in (False, True):
        rows = [
            (device_id, state, since, last)
            for device_id, (state, since, last, was_changed) in runs.items()
            if was_changed is changed
        ]
        if rows:
            stored.update(_upsert_states(rows, keep_since=not changed))
    return stored


# Rows per statement on SQLite (four parameters each, under its bound-parameter limit).
ROWS_PER_STATEMENT = 2000


def _upsert_states(
    rows: list[tuple[int, str, datetime, datetime]], *, keep_since: bool
) -> dict[int, tuple[str, datetime]]:
    """PostgreSQL: one statement with an array per column (its text does not grow with the
    batch); SQLite: a VALUES list per chunk."""
    table = connection.ops.quote_name(DeviceState._meta.db_table)
    since = (
        f"CASE WHEN {table}.state = excluded.state THEN {table}.since ELSE excluded.since END"
        if keep_since
        else "excluded.since"
    )
    conflict = (
        f" ON CONFLICT (device_id) DO UPDATE SET since = {since}, state = excluded.state, "
        f"updated_at = excluded.updated_at WHERE excluded.updated_at >= {table}.updated_at "
        "RETURNING device_id, state, since"
    )
    # Only the table name and fixed SQL are interpolated; values go as parameters.
    insert = f"INSERT INTO {table} (device_id, state, since, updated_at) "
    stored: dict[int, tuple[str, datetime]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = "%s::bigint[], %s::text[], %s::timestamptz[], %s::timestamptz[]"
            statement = f"{insert}SELECT * FROM unnest({arrays}){conflict}"  # noqa: S608
            cursor.execute(statement, [list(column) for column in zip(*rows, strict=True)])
            chunks = [cursor.fetchall()]
        else:
            adapt = connection.ops.adapt_datetimefield_value
            chunks = []
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                parameters: list[Any] = []
                for device_id, state, first, last in chunk:
                    parameters.extend((device_id, state, adapt(first), adapt(last)))
                values = "VALUES " + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                cursor.execute(insert + values + conflict, parameters)
                chunks.append(cursor.fetchall())
    for chunk_rows in chunks:
        for device_id, state, value in chunk_rows:
            stored[device_id] = (state, _aware(value))
    return stored


def _aware(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    if moment is None:
        raise ValueError("unreadable time")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment
