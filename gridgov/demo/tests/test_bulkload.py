"""The bulk loader drops secondary indexes for a load and builds them again afterwards."""

from __future__ import annotations

import pytest
from django.db import connection

from gridgov.demo.bulkload import bulk_load
from gridgov.sensing.models import Event

pytestmark = pytest.mark.django_db


def _secondary_indexes_per_table() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.relname FROM pg_inherits h "
            "JOIN pg_class c ON c.oid = h.inhrelid "
            "JOIN pg_index x ON x.indrelid = c.oid JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE h.inhparent = 'sensing_event'::regclass AND NOT x.indisunique"
        )
        found: dict[str, set[str]] = {}
        for table, index in cursor.fetchall():
            found.setdefault(table, set()).add(index)
    return found


def test_a_load_into_a_partitioned_table_leaves_every_partition_indexed():
    if connection.vendor != "postgresql":
        pytest.skip("partitioned tables exist on PostgreSQL only")
    before = _secondary_indexes_per_table()
    assert before
    assert all(len(indexes) == 3 for indexes in before.values())

    with bulk_load([Event]):
        pass

    after = _secondary_indexes_per_table()
    assert {table: len(indexes) for table, indexes in after.items()} == dict.fromkeys(before, 3)
