"""The demo's batch protection stores exactly what the registry's one-by-one functions store."""

from __future__ import annotations

import pytest
from django.db import connection

from gridgov.core.crypto import DecryptionError, decrypt_text, lookup_hash
from gridgov.demo.protect import protect_id_numbers, protect_phones
from gridgov.demo.services import demo_town_generate
from gridgov.registry.services.protection import (
    ID_NUMBER_CONTEXT,
    PHONE_CONTEXT,
    protect_id_number,
    protect_phone,
    unprotect_id_number,
    unprotect_phone,
)

ID_NUMBERS = ["11010519491231002X", "310112198001010012", "340621199512300034"]
PHONES = ["13812345678", "02164001234"]


def test_batch_protected_id_numbers_decrypt_and_hash_like_the_registry_does():
    # when
    protected = protect_id_numbers(ID_NUMBERS)
    # then
    assert [unprotect_id_number(item.encrypted) for item in protected] == ID_NUMBERS
    assert [item.hash for item in protected] == [lookup_hash(number) for number in ID_NUMBERS]
    singles = [protect_id_number(number) for number in ID_NUMBERS]
    assert [(item.hash, item.prefix, item.last4) for item in protected] == [
        (item.hash, item.prefix, item.last4) for item in singles
    ]


def test_batch_protected_phones_decrypt_and_hash_like_the_registry_does():
    protected = protect_phones(PHONES)
    assert [unprotect_phone(item.encrypted) for item in protected] == PHONES
    assert [(item.hash, item.prefix, item.last4) for item in protected] == [
        (item.hash, item.prefix, item.last4) for item in map(protect_phone, PHONES)
    ]


def test_batch_ciphertexts_use_a_fresh_nonce_each_and_are_bound_to_their_kind():
    protected = protect_phones([PHONES[0], PHONES[0]])
    assert protected[0].encrypted != protected[1].encrypted
    assert protected[0].encrypted.split("$")[1] != protected[1].encrypted.split("$")[1]
    assert decrypt_text(protected[0].encrypted, associated_data=PHONE_CONTEXT) == PHONES[0]
    with pytest.raises(DecryptionError):
        decrypt_text(protected[0].encrypted, associated_data=ID_NUMBER_CONTEXT)


def _registry_indexes() -> list[tuple[str, str]]:
    if connection.vendor == "postgresql":
        sql = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename LIKE 'registry_%' ORDER BY indexname"
        )
    else:
        sql = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name LIKE 'registry_%' ORDER BY name"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_generation_rebuilds_every_index_it_drops_for_loading(db):
    # given
    before = _registry_indexes()
    # when
    demo_town_generate(profile="small", seed=5)
    # then
    assert _registry_indexes() == before
    assert any(name == "registry_one_current_residency" for name, _sql in before)


def test_foreign_key_check_after_loading_reports_a_row_that_points_nowhere(db):
    from django.db import IntegrityError

    from gridgov.demo.bulkload import check_foreign_keys, insert_rows
    from gridgov.registry.models import Unit

    # given: a unit of a building that does not exist (foreign keys are deferred to commit)
    insert_rows(Unit, ["id", "building", "label", "sort_order"], [(1, 987_654, "1单元", 1)],
                lambda *_args: None, "units")  # fmt: skip
    # when / then
    with pytest.raises(IntegrityError, match="1 rows of"):
        check_foreign_keys([Unit])
    Unit.objects.filter(pk=1).delete()  # the test database checks deferred keys at the end


def test_foreign_key_check_accepts_a_generated_town(db):
    from gridgov.demo.bulkload import check_foreign_keys
    from gridgov.demo.housing_write import LOADED

    demo_town_generate(profile="small", seed=5)
    check_foreign_keys(LOADED)
