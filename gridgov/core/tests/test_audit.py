from __future__ import annotations

from django.db import connection

from gridgov.core.audit import audit_record, audit_verify
from gridgov.core.models import AuditEntry


def test_an_untouched_chain_verifies(db):
    for index in range(3):
        audit_record(actor=None, action="test.write", object_type="x", object_id=str(index))

    result = audit_verify()

    assert result.is_intact
    assert result.checked == 3


def test_a_changed_row_is_detected(db):
    entries = [audit_record(actor=None, action="test.write", object_id=str(i)) for i in range(3)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEntry._meta.db_table} SET action = %s WHERE id = %s",
            ["test.tampered", entries[1].pk],
        )

    result = audit_verify()

    assert not result.is_intact
    assert result.problems == [f"entry #{entries[1].pk}: content does not match its hash (changed)"]
