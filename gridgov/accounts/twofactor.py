"""TOTP second factor (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of drift).

等保 2.0 level 3 asks for two or more authentication factors for administrators; we require
them of every role in ``TWO_FACTOR_ROLES`` and of superusers, and of anyone who enabled it
voluntarily. A step that was used once is never accepted again (``totp_last_used_step``).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import TYPE_CHECKING, Any

import pyotp
import segno
from django.conf import settings

from gridgov.accounts.roles import TWO_FACTOR_ROLES
from gridgov.accounts.scoping import roles_of

if TYPE_CHECKING:
    from gridgov.accounts.models import User

TOTP_INTERVAL_SECONDS = 30
TOTP_DIGITS = 6
ALLOWED_DRIFT_STEPS = 1


def two_factor_required_for(user: User | Any) -> bool:
    """Whether this user must pass the second factor to finish signing in.

    The demo switches it off for everyone (DESIGN D13; the pages say so).
    """
    if settings.DEMO_MODE or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.has_two_factor:
        return True
    return bool(roles_of(user) & TWO_FACTOR_ROLES)


def new_secret() -> str:
    return pyotp.random_base32()


def time_step(now: dt.datetime) -> int:
    return int(now.timestamp()) // TOTP_INTERVAL_SECONDS


def code_for_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_SECONDS).generate_otp(step)


def matching_step(*, secret: str, code: str, now: dt.datetime, after_step: int) -> int | None:
    """The step within the drift window whose code is ``code``, if it is later than
    ``after_step`` (the last one used); ``None`` otherwise."""
    cleaned = code.replace(" ", "").strip()
    if len(cleaned) != TOTP_DIGITS or not cleaned.isdigit():
        return None
    current = time_step(now)
    for step in range(current - ALLOWED_DRIFT_STEPS, current + ALLOWED_DRIFT_STEPS + 1):
        if step > after_step and hmac.compare_digest(code_for_step(secret, step), cleaned):
            return step
    return None


def provisioning_uri(*, secret: str, username: str) -> str:
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_SECONDS)
    return totp.provisioning_uri(name=username, issuer_name=settings.TOTP_ISSUER)


def qr_code_svg(uri: str) -> str:
    """The ``otpauth://`` URI as an inline SVG QR code, drawn here (no external service)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, dark="#1f2937", light="#ffffff")
    return svg


def grouped_secret(secret: str) -> str:
    """``ABCD EFGH …`` for typing the secret by hand."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))
