"""Monthly partitions of the event table (DESIGN D3, scale-out; ``docs/operations.md``).

On PostgreSQL migration 0004 makes ``sensing_event`` a table partitioned by range of
``occurred_at``: one partition per UTC month, named ``sensing_event_yYYYYmMM``, and a DEFAULT
partition that takes any event no month holds, so that no event is refused for its date.
``event_partitions_ensure`` keeps the coming months created (the daily
``sensing-event-partitions`` job), ``event_partitions_list`` shows them, and
``event_partition_detach`` takes a past month out of the table for archiving (audited).

SQLite has no partitions: there ``ensure`` and ``list`` do nothing and a detach is refused with
a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record

EVENT_TABLE = "sensing_event"
DEFAULT_PARTITION = "sensing_event_default"
MONTHS_AHEAD = 3
# Serialises partition changes across processes (pg_advisory_xact_lock); any fixed number.
_ADVISORY_LOCK_KEY = 0x5E45_0E47
_MONTH_NAME = re.compile(r"^sensing_event_y(\d{4})m(\d{2})$")


class PartitionError(ValidationError):
    """A refused partition operation, with a clear message and a code."""

    default_message: Any = gettext_lazy("This partition operation is not possible.")
    default_code = "partition_error"

    def __init__(self, message: Any = None, code: str | None = None) -> None:
        super().__init__(message or self.default_message, code=code or self.default_code)


@dataclass(frozen=True)
class EventPartition:
    """One partition: its month's range ``[starts_at, ends_at)`` (None for the default
    partition, and for a partition not named after a month)."""

    name: str
    is_default: bool
    starts_at: datetime | None
    ends_at: datetime | None
    row_estimate: int


def month_start(moment: date | datetime) -> datetime:
    """The first instant (UTC) of the UTC month that holds ``moment`` (a date: its month)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{EVENT_TABLE}_y{start.year:04d}m{start.month:02d}"


def event_table_is_partitioned() -> bool:
    """Whether ``sensing_event`` is a partitioned table (PostgreSQL after migration 0004)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [EVENT_TABLE]
        )
        return cursor.fetchone() is not None


def _attached_names(cursor: Any) -> set[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [EVENT_TABLE],
    )
    return {row[0] for row in cursor.fetchall()}


def event_partitions_ensure(
    *, months_ahead: int = MONTHS_AHEAD, now: datetime | None = None
) -> list[str]:
    """Create the missing partitions of this month and the ``months_ahead`` after it; return
    the names created (none when all exist, and on SQLite).

    Idempotent and safe in several processes at once (an advisory lock serialises them). Rows
    of a new month already in the default partition are moved into it in the same transaction.
    """
    if months_ahead < 0:
        raise PartitionError(gettext_lazy("The number of months ahead cannot be negative."))
    if not event_table_is_partitioned():
        return []
    first = month_start(now or timezone.now())
    created: list[str] = []
    for offset in range(months_ahead + 1):
        start = add_months(first, offset)
        if _partition_create(start):
            created.append(partition_name(start))
    return created


def _partition_create(start: datetime) -> bool:
    """Create the partition of the month beginning at ``start`` unless it exists (one short
    transaction; the parent is locked only when something is to be done)."""
    name = partition_name(start)
    end = add_months(start, 1)
    bounds = f"FROM ('{start:%Y-%m-%d} 00:00:00+00') TO ('{end:%Y-%m-%d} 00:00:00+00')"
    with transaction.atomic(), connection.cursor() as cursor:
        if name in _attached_names(cursor):
            return False
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        cursor.execute(f"LOCK TABLE {EVENT_TABLE} IN ACCESS EXCLUSIVE MODE")
        attached = _attached_names(cursor)
        if name in attached:
            return False
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            raise PartitionError(
                gettext_lazy("A detached table holds the name of a month to create: %(name)s.")
                % {"name": name},
                code="name_taken",
            )
        if DEFAULT_PARTITION in attached and _default_holds(cursor, start, end):
            _partition_create_moving_default_rows(cursor, name, bounds, start, end)
        else:
            cursor.execute(f"CREATE TABLE {name} PARTITION OF {EVENT_TABLE} FOR VALUES {bounds}")
    return True


def _default_holds(cursor: Any, start: datetime, end: datetime) -> bool:
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} "  # noqa: S608
        "WHERE occurred_at >= %s AND occurred_at < %s)",
        [start, end],
    )
    return bool(cursor.fetchone()[0])


def _partition_create_moving_default_rows(
    cursor: Any, name: str, bounds: str, start: datetime, end: datetime
) -> None:
    """PostgreSQL refuses a new partition while the default holds rows of its range: detach the
    default, create the month, move those rows into it, attach the default again — one
    transaction, so no event is lost and concurrent inserts wait for the lock."""
    cursor.execute(f"ALTER TABLE {EVENT_TABLE} DETACH PARTITION {DEFAULT_PARTITION}")
    cursor.execute(f"CREATE TABLE {name} PARTITION OF {EVENT_TABLE} FOR VALUES {bounds}")
    # Only fixed table names are interpolated; the range goes as parameters.
    cursor.execute(
        f"INSERT INTO {EVENT_TABLE} SELECT * FROM {DEFAULT_PARTITION} "  # noqa: S608
        "WHERE occurred_at >= %s AND occurred_at < %s",
        [start, end],
    )
    cursor.execute(
        f"DELETE FROM {DEFAULT_PARTITION} WHERE occurred_at >= %s AND occurred_at < %s",  # noqa: S608
        [start, end],
    )
    cursor.execute(f"ALTER TABLE {EVENT_TABLE} ATTACH PARTITION {DEFAULT_PARTITION} DEFAULT")


def event_partitions_list() -> list[EventPartition]:
    """The partitions attached to the event table, months in order and the default last, each
    with PostgreSQL's row estimate (0 until the table is first analysed). Empty on SQLite."""
    if not event_table_is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.reltuples "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [EVENT_TABLE],
        )
        rows = cursor.fetchall()
    partitions = [_partition(name, is_default, estimate) for name, is_default, estimate in rows]
    return sorted(partitions, key=lambda part: (part.is_default, part.name))


def _partition(name: str, is_default: bool, estimate: float) -> EventPartition:
    match = None if is_default else _MONTH_NAME.match(name)
    start = datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC) if match else None
    return EventPartition(
        name=name,
        is_default=is_default,
        starts_at=start,
        ends_at=add_months(start, 1) if start else None,
        row_estimate=max(int(estimate), 0),
    )


def event_partition_detach(
    *, month: date, actor: Any, now: datetime | None = None
) -> EventPartition:
    """Detach the partition of a past ``month`` (any day of it) from the event table, for
    archiving: it stays in the database as a table of its own (dump it, then drop it).

    Only the platform administrator (``Perm.ADMIN_SITE``) may; the month in progress and later
    months are refused (their events would fall into the default partition). Audited.
    """
    if not has_permission(actor, Perm.ADMIN_SITE):
        raise PermissionDenied(gettext_lazy("Only a platform administrator may archive events."))
    if not event_table_is_partitioned():
        raise PartitionError(
            gettext_lazy("Events are partitioned by month only on PostgreSQL."),
            code="not_partitioned",
        )
    start = month_start(month)
    if start >= month_start(now or timezone.now()):
        raise PartitionError(
            gettext_lazy("Only a month that has ended can be detached."), code="month_not_ended"
        )
    name = partition_name(start)
    with transaction.atomic():
        partition = next((part for part in event_partitions_list() if part.name == name), None)
        if partition is None:
            raise PartitionError(
                gettext_lazy("No partition of this month is attached."), code="no_partition"
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
            cursor.execute(f"ALTER TABLE {EVENT_TABLE} DETACH PARTITION {name}")
        audit_record(
            actor=actor,
            action="sensing.event_partition_detach",
            object_type="sensing.event",
            object_id=name,
            object_label=f"{start:%Y-%m}",
            changes={"partition": name, "row_estimate": partition.row_estimate},
        )
    return partition
