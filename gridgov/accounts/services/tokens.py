"""API tokens (DESIGN D10): the same lockout and second factor as signing in on the web."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from gridgov.accounts.errors import (
    InvalidCredentialsError,
    TwoFactorCodeRequiredError,
    TwoFactorSetupRequiredError,
)
from gridgov.accounts.models import User
from gridgov.accounts.services.login import (
    login_complete,
    login_failure_record,
    login_refuse_if_locked,
)
from gridgov.accounts.services.two_factor import two_factor_check_code
from gridgov.accounts.twofactor import two_factor_required_for
from gridgov.core.audit import audit_record


def api_token_issue(
    *,
    username: str,
    password: str,
    totp: str,
    ip_address: str | None,
    now: dt.datetime | None = None,
) -> Token:
    """``POST /api/v1/auth/token/``: the same lockout and second factor as the web sign-in."""
    now = now or timezone.now()
    login_refuse_if_locked(username=username, ip_address=ip_address, now=now)
    user = authenticate(username=username, password=password)
    if not isinstance(user, User):
        login_failure_record(
            username=username, ip_address=ip_address, action="accounts.login.failed", now=now
        )
        raise InvalidCredentialsError()
    method = "password"
    if two_factor_required_for(user):
        if not user.has_two_factor:
            raise TwoFactorSetupRequiredError()
        if not totp.strip():
            raise TwoFactorCodeRequiredError()
        two_factor_check_code(user=user, code=totp, ip_address=ip_address, now=now)
        method = "totp"
    with transaction.atomic():
        login_complete(user=user, ip_address=ip_address, method=f"api_{method}", now=now)
        token, created = Token.objects.get_or_create(user=user)
        audit_record(
            actor=user,
            action="accounts.api_token.issued",
            target=user,
            changes={"new": created},
            ip_address=ip_address,
        )
    return token
