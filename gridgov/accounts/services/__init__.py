"""Writes of the accounts app (one function per use case, each audited)."""

from gridgov.accounts.services.login import (
    PasswordStep,
    login_attempt_record,
    login_complete,
    login_lock_state,
    login_lockout_status,
    login_with_password,
    logout_record,
    session_expire_stale,
    session_expired_record,
)
from gridgov.accounts.services.tokens import api_token_issue
from gridgov.accounts.services.two_factor import (
    TwoFactorEnrolment,
    totp_secrets_key_census,
    totp_secrets_rotate,
    two_factor_begin_setup,
    two_factor_check_code,
    two_factor_confirm,
    two_factor_verify,
)
from gridgov.accounts.services.users import (
    membership_grant,
    membership_revoke,
    organization_create,
    user_create,
    user_set_password,
)

__all__ = [
    "PasswordStep",
    "TwoFactorEnrolment",
    "api_token_issue",
    "login_attempt_record",
    "login_complete",
    "login_lock_state",
    "login_lockout_status",
    "login_with_password",
    "logout_record",
    "membership_grant",
    "membership_revoke",
    "organization_create",
    "session_expire_stale",
    "session_expired_record",
    "totp_secrets_key_census",
    "totp_secrets_rotate",
    "two_factor_begin_setup",
    "two_factor_check_code",
    "two_factor_confirm",
    "two_factor_verify",
    "user_create",
    "user_set_password",
]
