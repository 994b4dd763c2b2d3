"""The event table partitioned by month on PostgreSQL (DESIGN D3, scale-out; docs/devices.md).

On PostgreSQL ``sensing_event`` becomes a table PARTITIONED BY RANGE (occurred_at) with the same
columns and the same identity sequence position (ids keep increasing), PRIMARY KEY (id,
occurred_at), UNIQUE (device_id, event_id, occurred_at) — PostgreSQL requires the partition
column in every unique key — the same indexes and the device foreign key. It gets one partition
per UTC month, named ``sensing_event_yYYYYmMM``, from the month of its oldest row (at most
``MONTHS_BACK_AT_MOST`` months back) to ``MONTHS_AHEAD`` months ahead, and a DEFAULT partition
so that no event is refused for its date; the existing rows are copied. Reversible: the reverse
makes a plain table again (it fails if two rows share a device and event id).

Elsewhere (SQLite) both directions do nothing: the table stays as 0001–0003 made it. The model
state is not changed, so ``makemigrations`` sees nothing to do.
"""

from datetime import UTC, datetime

from django.db import migrations

TABLE = "sensing_event"
PARTITIONED_COPY = "sensing_event_partitioned"
PLAIN_COPY = "sensing_event_unpartitioned"
DEFAULT_PARTITION = "sensing_event_default"
UNIQUE = "sensing_event_unique_id"
PRIMARY_KEY = "sensing_event_pkey"
INDEXES = {
    "sensing_event_device_time": "(device_id, occurred_at)",
    "sensing_event_kind_time": "(kind, occurred_at)",
    # 0003: a card's last gate pass in one probe.
    "sensing_event_card_pass": "(person_card_hash, occurred_at) WHERE kind = 'card_pass'",
}
MONTHS_AHEAD = 3
# Rows older than this (a device clock set to 1970) stay in the default partition.
MONTHS_BACK_AT_MOST = 36


def _month_start(moment):
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def _add_months(start, months):
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _months_between(first, last):
    count = (last.year - first.year) * 12 + last.month - first.month
    return [_add_months(first, offset) for offset in range(count + 1)]


def _relkind(cursor):
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE])
    return cursor.fetchone()[0]


def _foreign_key_name(cursor, table):
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    rows = cursor.fetchall()
    return rows[0][0] if rows else None


def _sequence_position(cursor, table):
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
    last_value, is_called = cursor.fetchone()
    return sequence, last_value, is_called


def _free_names(cursor, table, renamed, foreign_key):
    """Rename ``table`` out of the way and drop or rename what would clash with the new one."""
    sequence, last_value, is_called = _sequence_position(cursor, table)
    cursor.execute(f"ALTER TABLE {table} RENAME TO {renamed}")
    if foreign_key:
        cursor.execute(f"ALTER TABLE {renamed} DROP CONSTRAINT {foreign_key}")
    cursor.execute(f"ALTER TABLE {renamed} DROP CONSTRAINT {UNIQUE}")
    for index in INDEXES:
        cursor.execute(f"DROP INDEX IF EXISTS {index}")
    cursor.execute(f"ALTER TABLE {renamed} RENAME CONSTRAINT {PRIMARY_KEY} TO {renamed}_pkey")
    cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {renamed}_id_seq")
    return last_value, is_called


def _finish(cursor, source, foreign_key, last_value, is_called):
    """Copy the rows of ``source``, add the indexes, foreign key and sequence position, and drop
    ``source``."""
    cursor.execute(f"INSERT INTO {TABLE} OVERRIDING SYSTEM VALUE SELECT * FROM {source}")  # noqa: S608
    for index, definition in INDEXES.items():
        cursor.execute(f"CREATE INDEX {index} ON {TABLE} {definition}")
    cursor.execute(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {foreign_key} FOREIGN KEY (device_id) "
        "REFERENCES sensing_device (id) DEFERRABLE INITIALLY DEFERRED"
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)", [TABLE, last_value, is_called]
    )
    cursor.execute(f"DROP TABLE {source}")


def partition_event_table(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        if _relkind(cursor) == "p":
            return
        foreign_key = _foreign_key_name(cursor, TABLE) or "sensing_event_device_id_fk"
        cursor.execute(f"SELECT min(occurred_at) FROM {TABLE}")  # noqa: S608
        oldest = cursor.fetchone()[0]
        this_month = _month_start(datetime.now(UTC))
        first = _add_months(this_month, -MONTHS_BACK_AT_MOST)
        if oldest is not None and _month_start(oldest) > first:
            first = _month_start(oldest)
        if oldest is None or first > this_month:
            first = this_month
        last_value, is_called = _free_names(cursor, TABLE, PLAIN_COPY, foreign_key)
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {PLAIN_COPY} INCLUDING DEFAULTS INCLUDING IDENTITY "
            f"INCLUDING STORAGE INCLUDING COMMENTS, "
            f"CONSTRAINT {PRIMARY_KEY} PRIMARY KEY (id, occurred_at), "
            f"CONSTRAINT {UNIQUE} UNIQUE (device_id, event_id, occurred_at)) "
            "PARTITION BY RANGE (occurred_at)"
        )
        for start in _months_between(first, _add_months(this_month, MONTHS_AHEAD)):
            name = f"{TABLE}_y{start.year:04d}m{start.month:02d}"
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{start:%Y-%m-%d} 00:00:00+00') "
                f"TO ('{_add_months(start, 1):%Y-%m-%d} 00:00:00+00')"
            )
        cursor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
        _finish(cursor, PLAIN_COPY, foreign_key, last_value, is_called)


def unpartition_event_table(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        if _relkind(cursor) != "p":
            return
        foreign_key = _foreign_key_name(cursor, TABLE) or "sensing_event_device_id_fk"
        last_value, is_called = _free_names(cursor, TABLE, PARTITIONED_COPY, foreign_key)
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {PARTITIONED_COPY} INCLUDING DEFAULTS "
            f"INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS, "
            f"CONSTRAINT {PRIMARY_KEY} PRIMARY KEY (id), "
            f"CONSTRAINT {UNIQUE} UNIQUE (device_id, event_id))"
        )
        _finish(cursor, PARTITIONED_COPY, foreign_key, last_value, is_called)


class Migration(migrations.Migration):
    dependencies = [
        ("sensing", "0003_card_pass_index"),
    ]

    operations = [
        migrations.RunPython(partition_event_table, unpartition_event_table, elidable=False),
    ]
