"""Moving people's ID and phone numbers to the current field-encryption key (DESIGN D6).

``encrypted_values_rotate`` re-encrypts every ``Person.id_number_encrypted``,
``phone_encrypted`` and ``contact_phone_encrypted`` stored under an older key, each bound to its
kind as ``registry.services.protection`` binds it, in batches (``gridgov.core.key_rotation``):
idempotent, resumable, not an edit (``version`` and ``updated_at`` stay), with one audit row of
counts. ``encrypted_values_key_census`` says how many values each key id holds. The command is
``gridgov rotate-keys``; the procedure is in ``docs/operations.md`` §5.
"""

from __future__ import annotations

from typing import Any

from gridgov.core.audit import audit_record
from gridgov.core.crypto import current_key_id
from gridgov.core.key_rotation import (
    Progress,
    Reencrypt,
    RotationFailure,
    RotationResult,
    encrypted_fields_key_census,
    encrypted_fields_rotate,
)
from gridgov.registry.models import Person
from gridgov.registry.services.protection import reencrypt_id_number, reencrypt_phone

ROTATE_ACTION = "registry.keys.rotate"

PERSON_ENCRYPTED_FIELDS: dict[str, Reencrypt] = {
    "id_number_encrypted": lambda _pk, stored: reencrypt_id_number(stored),
    "phone_encrypted": lambda _pk, stored: reencrypt_phone(stored),
    "contact_phone_encrypted": lambda _pk, stored: reencrypt_phone(stored),
}


def encrypted_values_rotate(
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Any = None,
) -> RotationResult:
    """Re-encrypt under the current key every person's identifier that is under another one.

    Values no configured key decrypts are left untouched and listed in ``failures`` (row id and
    column). A dry run decrypts what it would move, writes nothing and records no audit row.
    """
    result = encrypted_fields_rotate(
        Person,
        PERSON_ENCRYPTED_FIELDS,
        batch_size=batch_size,
        progress=progress,
        dry_run=dry_run,
    )
    if not dry_run:
        audit_record(
            actor=actor,
            action=ROTATE_ACTION,
            object_type=Person._meta.label_lower,
            changes={"key_id": current_key_id(), **result.counts()},
        )
    return result


def encrypted_values_key_census() -> dict[str, int]:
    """Stored ID and phone numbers per key id (every non-empty column counted)."""
    return encrypted_fields_key_census(Person, list(PERSON_ENCRYPTED_FIELDS))


__all__ = [
    "PERSON_ENCRYPTED_FIELDS",
    "ROTATE_ACTION",
    "RotationFailure",
    "RotationResult",
    "encrypted_values_key_census",
    "encrypted_values_rotate",
]
