"""Loading many generated rows fast, on SQLite and on PostgreSQL.

``loading_session()`` wraps a whole generation (outside its transaction) and ``bulk_load(models)``
the writing of the many generated rows (inside it):

* SQLite: a large page cache, in-memory temporary storage and no fsync for this connection
  while loading (``loading_session``), and the secondary indexes of the loaded tables dropped
  first and rebuilt once at the end (``bulk_load``)
  (building an index from sorted rows is far cheaper than updating it row by row). The
  definitions are read back from ``sqlite_master`` and re-run unchanged, so unique and partial
  indexes are rebuilt exactly and still reject duplicates. Everything happens inside the
  caller's transaction: if anything fails, the rollback restores the indexes too.
* PostgreSQL: ``insert_rows`` uses ``COPY`` instead of ``INSERT``; the indexes that back no
  constraint are dropped and rebuilt as on SQLite (from ``pg_indexes``). Django's foreign keys are
  deferred constraint triggers that check every row one by one at commit (about 1.2 million
  checks for Maqiao); where the role may (``session_replication_role``, a superuser's right or
  granted), ``bulk_load`` turns those triggers off for its own transaction and instead checks
  every foreign key of the loaded tables with one anti-join each before leaving, raising
  ``IntegrityError`` on an orphan. Without the right, the triggers simply stay on.

``insert_rows`` writes plain tuples (already in the database's own text forms for dates) with
one raw ``executemany`` per batch on SQLite and a ``COPY … FROM STDIN`` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, models, transaction

BATCH = 10_000
# 256 MiB of page cache (negative: KiB) while loading; the town's database is about 150 MB.
LOAD_CACHE_KIB = 262_144
Progress = Callable[[str, int, int], None]


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _secondary_indexes(cursor: Any, tables: Sequence[str]) -> list[tuple[str, str]]:
    placeholders = ", ".join(["%s"] * len(tables))
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
        f"AND tbl_name IN ({placeholders}) ORDER BY name",
        list(tables),
    )
    return [(str(name), str(sql)) for name, sql in cursor.fetchall()]


@contextmanager
def loading_session() -> Iterator[None]:
    """A large page cache, in-memory temporary storage and no waiting for the disk on this
    SQLite connection while a town is generated; the previous settings are restored after.

    Enter it *outside* the generation's transaction: SQLite refuses some of these settings
    inside one. A crash mid-generation loses nothing but the uncommitted town."""
    if not _is_sqlite() or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        saved = {}
        for pragma in ("cache_size", "temp_store", "synchronous"):
            cursor.execute(f"PRAGMA {pragma}")
            saved[pragma] = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-LOAD_CACHE_KIB}")
        cursor.execute("PRAGMA temp_store = MEMORY")
        cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for pragma, value in saved.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")


def _replica_mode() -> bool:
    """Turn off trigger-based checks until the end of this transaction, if the role may."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def check_foreign_keys(models_loaded: Sequence[type[models.Model]]) -> None:
    """Every foreign key of ``models_loaded`` points at an existing row (one anti-join each)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models_loaded:
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.ForeignKey) or not getattr(
                    field, "db_constraint", True
                ):
                    continue
                target = field.target_field
                child, column = quote(model._meta.db_table), quote(str(field.column))
                parent, key = quote(target.model._meta.db_table), quote(str(target.column))
                # Names come from the models, never from input.
                cursor.execute(
                    f"SELECT COUNT(*) FROM {child} c LEFT JOIN {parent} p "  # noqa: S608
                    f"ON p.{key} = c.{column} WHERE c.{column} IS NOT NULL AND p.{key} IS NULL"
                )
                orphans = int(cursor.fetchone()[0])
                if orphans:
                    raise IntegrityError(f"{orphans} rows of {child}.{column} point nowhere")


def _postgresql_indexes(cursor: Any, tables: Sequence[str]) -> list[tuple[str, str]]:
    """Indexes of ``tables`` that back no constraint (those are kept), with their definitions."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "  to_regclass(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
        ") ORDER BY i.indexname",
        [list(tables)],
    )
    return [(str(name), str(sql)) for name, sql in cursor.fetchall()]


@contextmanager
def _postgresql_load(models_loaded: Sequence[type[models.Model]]) -> Iterator[None]:
    replica = _replica_mode()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        indexes = _postgresql_indexes(cursor, [m._meta.db_table for m in models_loaded])
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{LOAD_CACHE_KIB}kB'")
        for _name, sql in indexes:
            # A partitioned table's index reads "ON ONLY parent": re-created like that it would
            # stay on the parent alone; without ONLY it is built on every partition again.
            cursor.execute(sql.replace(" ON ONLY ", " ON ", 1))
    if replica:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
        check_foreign_keys(models_loaded)


@contextmanager
def bulk_load(models_loaded: Sequence[type[models.Model]]) -> Iterator[None]:
    """Load ``models_loaded`` fast inside the caller's transaction: on SQLite, drop their
    secondary indexes and rebuild them after the rows are in; on PostgreSQL, check foreign keys
    once at the end instead of row by row (see the module docstring)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with _postgresql_load(models_loaded):
            yield
        return
    if not _is_sqlite():
        yield
        return
    tables = [model._meta.db_table for model in models_loaded]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        indexes = _secondary_indexes(cursor, tables)
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(name)  # a programming error: only concrete fields are loaded
    return field.column


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    progress: Progress,
    step: str,
) -> None:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
            for start in range(0, len(rows), BATCH):
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows[start : start + BATCH]:
                        copy.write_row(row)
                progress(step, min(start + BATCH, len(rows)), len(rows))
            return
        placeholders = ", ".join(["%s"] * len(fields))
        # Table and column names come from the models, never from input.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
            progress(step, min(start + BATCH, len(rows)), len(rows))
