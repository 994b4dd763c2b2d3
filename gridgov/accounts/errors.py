"""What the accounts services refuse, each with a message for the person in front of the screen.

Messages never contain personal data; the lockout message is the same whether or not the
password was right (OWASP ASVS V2.2.1), so a lock reveals nothing about the password.
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class AccessDeniedError(PermissionDenied):
    """The actor may not do this here (the role or the place is outside their reach)."""


class InvalidCredentialsError(Exception):
    code = "invalid_credentials"

    @property
    def message(self) -> str:
        return _("The username or password is incorrect.")


class LoginLockedError(Exception):
    """Too many failures: the account (``reason="account"``) or the address is locked."""

    code = "login_locked"

    def __init__(self, remaining_seconds: int, reason: str) -> None:
        super().__init__(reason)
        self.remaining_seconds = remaining_seconds
        self.reason = reason

    @property
    def remaining_minutes(self) -> int:
        return max(1, math.ceil(self.remaining_seconds / 60))

    @property
    def message(self) -> str:
        minutes = self.remaining_minutes
        if self.reason == "address":
            return ngettext(
                "Too many failed sign-ins from this network address. "
                "Try again in %(minutes)d minute.",
                "Too many failed sign-ins from this network address. "
                "Try again in %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes}
        return ngettext(
            "This account is temporarily locked after repeated failed sign-ins. "
            "Try again in %(minutes)d minute.",
            "This account is temporarily locked after repeated failed sign-ins. "
            "Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


class TwoFactorCodeInvalidError(Exception):
    code = "invalid_totp"

    @property
    def message(self) -> str:
        return _("The verification code is wrong or has already been used.")


class TwoFactorCodeRequiredError(Exception):
    code = "totp_required"

    @property
    def message(self) -> str:
        return _("This account needs a verification code from the authenticator app.")


class TwoFactorSetupRequiredError(Exception):
    code = "totp_setup_required"

    @property
    def message(self) -> str:
        return _(
            "This account must set up two-factor authentication on the web before it can "
            "use the API."
        )


class TwoFactorAlreadyEnabledError(Exception):
    code = "totp_already_enabled"

    @property
    def message(self) -> str:
        return _("Two-factor authentication is already enabled for this account.")
