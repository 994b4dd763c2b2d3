"""Staff work phones (工作手机): where an alarm's SMS reaches the patrol (issue 5).

A work phone is personal data like any other number (DESIGN D6): stored as AES-256-GCM
ciphertext under its own context, with only the first three and last four digits kept for the
masked form (``139****5678``). Only a mainland mobile number can receive the SMS, so nothing
else is accepted. The clear number leaves the database only towards the SMS gateway
(``gridgov.core.notifications``), never to a page, the API or a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts.errors import AccessDeniedError
from gridgov.accounts.models import User
from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.core.crypto import current_key_id, encrypt_text, reencrypt_text
from gridgov.core.key_rotation import (
    Progress,
    RotationResult,
    encrypted_fields_key_census,
    encrypted_fields_rotate,
)

# Associated data binding each ciphertext to what it is (``notify(sms_phone_context=...)``).
WORK_PHONE_CONTEXT = "accounts.work_phone"

_SEPARATORS = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class ProtectedWorkPhone:
    encrypted: str
    prefix: str
    last4: str


def work_phone_normalize(raw: str) -> str:
    """An 11-digit mainland mobile number (``+86``/``0086`` and separators dropped)."""
    digits = _SEPARATORS.sub("", (raw or "").strip())
    for country in ("+86", "0086"):
        if digits.startswith(country):
            digits = digits[len(country) :]
    if not _MOBILE.match(digits):
        raise ValidationError(
            {"work_phone": _("Enter a mobile number of 11 digits (it receives alarm SMS).")},
            code="invalid_work_phone",
        )
    return digits


def work_phone_protect(number: str) -> ProtectedWorkPhone:
    """Ciphertext and display digits of a normalised work phone (also for bulk demo loads)."""
    return ProtectedWorkPhone(
        encrypted=encrypt_text(number, associated_data=WORK_PHONE_CONTEXT),
        prefix=number[:3],
        last4=number[-4:],
    )


def _may_manage(actor: User, user: User) -> bool:
    if actor.is_superuser:
        return True
    codes = list(user.memberships.filter(is_active=True).values_list("cell__code", flat=True))
    if not codes:  # an account not yet placed: whoever manages users somewhere places it
        return has_permission(actor, Perm.USER_MANAGE)
    return all(has_permission(actor, Perm.USER_MANAGE, cell_code=code) for code in codes)


@transaction.atomic
def user_set_work_phone(*, actor: User | None, user: User, phone: str) -> User:
    """Set (or, with an empty ``phone``, remove) a staff member's work phone.

    Needs ``accounts.manage_users`` over every area the user works in; ``actor=None`` is the
    platform itself (commands, the demo). The audit row says what changed, never the number.
    """
    if actor is not None and not _may_manage(actor, user):
        raise AccessDeniedError(_("You do not have permission to do this."))
    if (phone or "").strip():
        protected = work_phone_protect(work_phone_normalize(phone))
        user.work_phone_encrypted = protected.encrypted
        user.work_phone_prefix = protected.prefix
        user.work_phone_last4 = protected.last4
        change = "set"
    else:
        if not user.work_phone_encrypted:
            return user
        user.work_phone_encrypted = user.work_phone_prefix = user.work_phone_last4 = ""
        change = "removed"
    user.save(update_fields=["work_phone_encrypted", "work_phone_prefix", "work_phone_last4"])
    audit_record(
        actor=actor,
        action="accounts.work_phone.changed",
        target=user,
        object_label=user.username,
        changes={"work_phone": change},
    )
    return user


# --- Key rotation (docs/operations.md §5) ------------------------------------------------------


def _reencrypt_work_phone(_user_id: int, stored: str) -> str:
    return reencrypt_text(stored, associated_data=WORK_PHONE_CONTEXT)


def work_phones_rotate(
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Any = None,
) -> RotationResult:
    """Re-encrypt under the current field key every work phone under another one (batched,
    idempotent, not an edit); a real run records one audit row of counts."""
    result = encrypted_fields_rotate(
        User,
        {"work_phone_encrypted": _reencrypt_work_phone},
        batch_size=batch_size,
        progress=progress,
        dry_run=dry_run,
    )
    if not dry_run:
        audit_record(
            actor=actor,
            action="accounts.work_phones.rotate",
            object_type=User._meta.label_lower,
            changes={"key_id": current_key_id(), **result.counts()},
        )
    return result


def work_phones_key_census() -> dict[str, int]:
    """Stored work phones per key id."""
    return encrypted_fields_key_census(User, ["work_phone_encrypted"])
