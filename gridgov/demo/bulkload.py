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
* PostgreSQL: nothing to change; ``insert_rows`` uses ``COPY`` instead of ``INSERT``.

``insert_rows`` writes plain tuples (already in the database's own text forms for dates) with
one raw ``executemany`` per batch on SQLite and a ``COPY … FROM STDIN`` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

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


@contextmanager
def bulk_load(models_loaded: Sequence[type[models.Model]]) -> Iterator[None]:
    """On SQLite, drop the secondary indexes of ``models_loaded`` and rebuild them after the
    rows are in (see the module docstring). Use it inside the loading transaction."""
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
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
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
