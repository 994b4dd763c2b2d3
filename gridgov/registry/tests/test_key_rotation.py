"""Rotating the field-encryption key over stored ID and phone numbers and TOTP secrets (D6).

Values are written under ``k1``; then ``k2`` is put first (``GRIDGOV_FIELD_KEYS=k2:…,k1:…``),
as in the procedure of ``docs/operations.md`` §5.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.accounts.models import User
from gridgov.accounts.services import totp_secrets_key_census, totp_secrets_rotate
from gridgov.accounts.tests.conftest import enable_two_factor
from gridgov.accounts.tests.factories import UserFactory
from gridgov.core.crypto import decrypt_text, encrypt_text, key_id_of
from gridgov.core.key_rotation import RotationFailure
from gridgov.core.models import AuditEntry
from gridgov.registry.models import Person
from gridgov.registry.services.key_rotation import (
    encrypted_values_key_census,
    encrypted_values_rotate,
)
from gridgov.registry.services.protection import (
    PHONE_CONTEXT,
    unprotect_id_number,
    unprotect_phone,
)

OLD = ("k1", bytes(range(32)))
NEW = ("k2", bytes(range(32, 64)))
LOST = ("k0", bytes(range(64, 96)))
ENCRYPTED = ("id_number_encrypted", "phone_encrypted", "contact_phone_encrypted")


def _stored(person: Person) -> tuple[str, str, str]:
    person.refresh_from_db()
    return (person.id_number_encrypted, person.phone_encrypted, person.contact_phone_encrypted)


def _clear(person: Person) -> tuple[str, str, str]:
    stored_id, phone, contact = _stored(person)
    return (
        unprotect_id_number(stored_id),
        unprotect_phone(phone) if phone else "",
        unprotect_phone(contact) if contact else "",
    )


@pytest.fixture
def old_people(settings, person_factory) -> list[Person]:
    """Five people written under ``k1`` only (one without phones, two with a contact phone)."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    people = [
        person_factory(phone="13812345678", contact_phone="13900001111"),
        person_factory(phone="", contact_phone=""),
        person_factory(phone="02164001234", contact_phone="13700002222"),
        person_factory(),
        person_factory(),
    ]
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    return people


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_values_under_the_old_key_stay_readable_after_the_new_key_is_put_first(old_people):
    clear = [_clear(person) for person in old_people]

    assert clear[0] == (clear[0][0], "13812345678", "13900001111")
    assert clear[1][1:] == ("", "")
    assert encrypted_values_key_census() == {"k1": 5 + 4 + 2}


def test_rotation_moves_every_value_to_the_new_key_and_keeps_the_clear_values(settings, old_people):
    clear_before = [_clear(person) for person in old_people]
    versions = {p.pk: (p.version, p.updated_at) for p in Person.objects.all()}

    result = encrypted_values_rotate(batch_size=2)

    assert result.is_complete
    assert (result.rows_examined, result.rows_rotated, result.values_rotated) == (5, 5, 11)
    assert encrypted_values_key_census() == {"k2": 11}
    for person in old_people:
        assert all(key_id_of(value) == "k2" for value in _stored(person) if value)
    assert [_clear(person) for person in old_people] == clear_before
    # not an edit: neither the optimistic-locking version nor updated_at moves
    assert {p.pk: (p.version, p.updated_at) for p in Person.objects.all()} == versions
    # and the new key alone now reads everything
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert [_clear(person) for person in old_people] == clear_before


def test_rotation_writes_one_audit_row_with_counts_only(old_people):
    clear = [value for person in old_people for value in _clear(person) if value]

    encrypted_values_rotate()

    entry = AuditEntry.objects.get(action="registry.keys.rotate")
    assert entry.object_type == "registry.person"
    assert entry.changes == {
        "key_id": "k2",
        "rows_examined": 5,
        "rows_rotated": 5,
        "values_rotated": 11,
        "values_failed": 0,
    }
    assert not any(value in str(entry.changes) for value in clear)


def test_a_second_run_finds_nothing_to_do(old_people):
    encrypted_values_rotate()
    stored = [_stored(person) for person in old_people]

    again = encrypted_values_rotate()

    assert (again.rows_examined, again.rows_rotated, again.values_rotated) == (5, 0, 0)
    assert [_stored(person) for person in old_people] == stored


def test_an_interrupted_run_resumes_where_it_stopped(old_people):
    class RunStoppedError(Exception):
        pass

    def stop_after_first_batch(done: int, total: int) -> None:
        raise RunStoppedError

    with pytest.raises(RunStoppedError):
        encrypted_values_rotate(batch_size=2, progress=stop_after_first_batch)
    # the first batch was committed on its own
    census = encrypted_values_key_census()
    assert census["k2"] > 0
    assert census["k1"] > 0

    result = encrypted_values_rotate(batch_size=2)

    assert result.rows_rotated == 3
    assert encrypted_values_key_census() == {"k2": 11}


def test_a_dry_run_changes_nothing(old_people, english):
    stored = [_stored(person) for person in old_people]

    result = encrypted_values_rotate(dry_run=True)
    out, _err = _run("--dry-run")

    assert result.dry_run
    assert result.values_rotated == 11
    assert [_stored(person) for person in old_people] == stored
    assert encrypted_values_key_census() == {"k1": 11}
    assert not AuditEntry.objects.filter(action__endswith=".keys.rotate").exists()
    assert "11 values in 5 rows would be re-encrypted" in out
    assert "Dry run: nothing was written." in out


def test_the_command_prints_the_census_before_and_after(old_people, english):
    out, err = _run("--batch-size", "2")

    before, after = out.split("Values per key after:")
    assert "Values per key before:" in before
    assert "ID and phone numbers: k1 11" in before
    assert "[##############################] 100% 5/5" in before
    assert "ID and phone numbers: k2 (current) 11" in after
    assert "Every value is under the current key." in after
    assert err == ""


def test_a_value_under_an_unknown_key_is_named_by_row_and_the_command_fails(
    settings, old_people, english
):
    # a phone written with a key no longer configured
    settings.FIELD_ENCRYPTION_KEYS = [LOST]
    lost_phone = encrypt_text("13655556666", associated_data=PHONE_CONTEXT)
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    broken = old_people[3]
    Person.objects.filter(pk=broken.pk).update(phone_encrypted=lost_phone)

    assert encrypted_values_key_census() == {"k0": 1, "k1": 10}
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("rotate_keys", stdout=out, stderr=err)

    assert raised.value.returncode == 1
    assert "1 values cannot be decrypted" in str(raised.value)
    assert f"registry.person.phone_encrypted: {broken.pk}" in err.getvalue()
    assert "k0 (not configured) 1" in out.getvalue()
    assert "13655556666" not in out.getvalue() + err.getvalue() + str(raised.value)
    # the broken value is left as it was, everything else moved
    assert _stored(broken)[1] == lost_phone
    assert encrypted_values_key_census() == {"k0": 1, "k2": 10}
    assert encrypted_values_rotate().failures == [
        RotationFailure("registry.person", broken.pk, "phone_encrypted")
    ]


def test_a_tampered_value_under_a_known_key_is_reported(old_people):
    person = old_people[0]
    stored_id = _stored(person)[0]
    # the ID ciphertext moved into the phone column fails its associated data
    Person.objects.filter(pk=person.pk).update(phone_encrypted=stored_id)

    result = encrypted_values_rotate()

    assert result.failures == [RotationFailure("registry.person", person.pk, "phone_encrypted")]
    assert key_id_of(_stored(person)[0]) == "k2"


def test_totp_secrets_rotate_too(settings, town, english):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    users = [UserFactory(), UserFactory()]
    secrets = {user.pk: enable_two_factor(user) for user in users}
    UserFactory()  # no second factor: nothing to rotate
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    assert totp_secrets_key_census() == {"k1": 2}
    assert totp_secrets_rotate(dry_run=True).values_rotated == 2
    assert totp_secrets_key_census() == {"k1": 2}

    out, _err = _run()

    assert "two-factor secrets: k1 2" in out
    assert "two-factor secrets: k2 (current) 2" in out
    assert totp_secrets_key_census() == {"k2": 2}
    for user in User.objects.filter(pk__in=secrets):
        assert key_id_of(user.totp_secret_encrypted) == "k2"
        clear = decrypt_text(
            user.totp_secret_encrypted, associated_data=f"accounts.user.totp:{user.pk}"
        )
        assert clear == secrets[user.pk]
    entry = AuditEntry.objects.get(action="accounts.keys.rotate")
    assert entry.changes["values_rotated"] == 2
    assert totp_secrets_rotate().values_rotated == 0


def test_staff_work_phones_rotate_too(settings, town, english):
    from gridgov.accounts.services.work_phones import (
        WORK_PHONE_CONTEXT,
        user_set_work_phone,
        work_phones_key_census,
    )

    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    patrol = user_set_work_phone(actor=None, user=UserFactory(), phone="13912345678")
    UserFactory()  # no work phone: nothing to rotate
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    out, _err = _run()

    assert "staff work phones: k1 1" in out
    assert "staff work phones: k2 (current) 1" in out
    assert work_phones_key_census() == {"k2": 1}
    patrol.refresh_from_db()
    assert (
        decrypt_text(patrol.work_phone_encrypted, associated_data=WORK_PHONE_CONTEXT)
        == "13912345678"
    )
