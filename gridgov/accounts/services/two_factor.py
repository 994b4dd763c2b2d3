"""Enabling and checking the TOTP second factor (RFC 6238; 等保 2.0 level 3 双因素鉴别).

The secret is stored encrypted with the field-encryption keys (DESIGN D6), bound to the user
by the associated data, and a time step that was accepted once is never accepted again.
Wrong codes count towards the same lockout as wrong passwords.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.errors import TwoFactorAlreadyEnabledError, TwoFactorCodeInvalidError
from gridgov.accounts.models import User
from gridgov.accounts.services.login import (
    login_complete,
    login_failure_record,
    login_refuse_if_locked,
)
from gridgov.accounts.twofactor import (
    grouped_secret,
    matching_step,
    new_secret,
    provisioning_uri,
    qr_code_svg,
)
from gridgov.core.audit import audit_record
from gridgov.core.crypto import current_key_id, decrypt_text, encrypt_text, reencrypt_text
from gridgov.core.key_rotation import (
    Progress,
    RotationResult,
    encrypted_fields_key_census,
    encrypted_fields_rotate,
)

TOTP_ROTATE_ACTION = "accounts.keys.rotate"


def _associated_data_for(user_id: Any) -> str:
    return f"accounts.user.totp:{user_id}"


def _associated_data(user: User) -> str:
    return _associated_data_for(user.pk)


def _secret_of(user: User) -> str:
    return decrypt_text(user.totp_secret_encrypted, associated_data=_associated_data(user))


@dataclass(frozen=True)
class TwoFactorEnrolment:
    """What the set-up page shows: a QR code and the secret for typing by hand."""

    secret: str
    uri: str
    qr_svg: str

    @property
    def grouped_secret(self) -> str:
        return grouped_secret(self.secret)


@transaction.atomic
def two_factor_begin_setup(*, user: User) -> TwoFactorEnrolment:
    """Give the user a pending secret (the same one until confirmed, so reloading the page
    does not invalidate a QR code already scanned)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.has_two_factor:
        raise TwoFactorAlreadyEnabledError()
    if user.totp_secret_encrypted:
        secret = _secret_of(user)
    else:
        secret = new_secret()
        user.totp_secret_encrypted = encrypt_text(secret, associated_data=_associated_data(user))
        user.save(update_fields=["totp_secret_encrypted"])
        audit_record(actor=user, action="accounts.two_factor.setup_started", target=user)
    uri = provisioning_uri(secret=secret, username=user.get_username())
    return TwoFactorEnrolment(secret=secret, uri=uri, qr_svg=qr_code_svg(uri))


def _consume_code(*, user: User, code: str, now: dt.datetime) -> bool:
    """Accept ``code`` once: the step is stored with a conditional update, so two requests
    racing with the same code cannot both succeed."""
    if not user.totp_secret_encrypted:
        return False
    last_used = User.objects.values_list("totp_last_used_step", flat=True).get(pk=user.pk)
    step = matching_step(secret=_secret_of(user), code=code, now=now, after_step=last_used)
    if step is None:
        return False
    updated = User.objects.filter(pk=user.pk, totp_last_used_step__lt=step).update(
        totp_last_used_step=step
    )
    if updated:
        user.totp_last_used_step = step
    return bool(updated)


def two_factor_check_code(
    *, user: User, code: str, ip_address: str | None, now: dt.datetime | None = None
) -> None:
    """Check a code of an enabled second factor, counting a wrong one as a failed sign-in."""
    now = now or timezone.now()
    login_refuse_if_locked(username=user.get_username(), ip_address=ip_address, now=now)
    if not user.has_two_factor or not _consume_code(user=user, code=code, now=now):
        login_failure_record(
            username=user.get_username(),
            ip_address=ip_address,
            action="accounts.two_factor.failed",
            now=now,
        )
        raise TwoFactorCodeInvalidError()


def two_factor_verify(
    *, user: User, code: str, ip_address: str | None, now: dt.datetime | None = None
) -> None:
    """The second sign-in step: a right code completes the sign-in."""
    now = now or timezone.now()
    two_factor_check_code(user=user, code=code, ip_address=ip_address, now=now)
    login_complete(user=user, ip_address=ip_address, method="totp", now=now)


def two_factor_confirm(
    *, user: User, code: str, ip_address: str | None, now: dt.datetime | None = None
) -> None:
    """Enable the pending secret once the user proves their app shows the right code; that
    code is itself a second factor, so it also completes the sign-in."""
    now = now or timezone.now()
    login_refuse_if_locked(username=user.get_username(), ip_address=ip_address, now=now)
    user.refresh_from_db(fields=["totp_secret_encrypted", "totp_confirmed_at"])
    if user.has_two_factor:
        raise TwoFactorAlreadyEnabledError()
    if not _consume_code(user=user, code=code, now=now):
        login_failure_record(
            username=user.get_username(),
            ip_address=ip_address,
            action="accounts.two_factor.failed",
            now=now,
        )
        raise TwoFactorCodeInvalidError()
    with transaction.atomic():
        user.totp_confirmed_at = now
        user.save(update_fields=["totp_confirmed_at"])
        audit_record(
            actor=user, action="accounts.two_factor.enabled", target=user, ip_address=ip_address
        )
        login_complete(user=user, ip_address=ip_address, method="totp_setup", now=now)


# --- Key rotation (docs/operations.md §5) ------------------------------------------------------


def _reencrypt_secret(user_id: int, stored: str) -> str:
    return reencrypt_text(stored, associated_data=_associated_data_for(user_id))


def totp_secrets_rotate(
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Any = None,
) -> RotationResult:
    """Re-encrypt under the current field-encryption key every TOTP secret under another one.

    Batched, idempotent and not an edit (``gridgov.core.key_rotation``); secrets no configured
    key decrypts are left as they are and listed in ``failures``. A real run records one audit
    row of counts; a dry run writes nothing.
    """
    result = encrypted_fields_rotate(
        User,
        {"totp_secret_encrypted": _reencrypt_secret},
        batch_size=batch_size,
        progress=progress,
        dry_run=dry_run,
    )
    if not dry_run:
        audit_record(
            actor=actor,
            action=TOTP_ROTATE_ACTION,
            object_type=User._meta.label_lower,
            changes={"key_id": current_key_id(), **result.counts()},
        )
    return result


def totp_secrets_key_census() -> dict[str, int]:
    """Stored TOTP secrets per key id."""
    return encrypted_fields_key_census(User, ["totp_secret_encrypted"])
