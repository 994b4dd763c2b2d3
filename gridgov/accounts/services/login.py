"""Signing in and out: attempts, lockout, per-address throttling, sessions and API tokens.

Rules (OWASP ASVS V2.2, 等保 2.0 level 3 登录失败处理):
- ``LOGIN_FAILURE_LIMIT`` failures for one username within ``LOGIN_FAILURE_WINDOW_SECONDS``
  lock that username for ``LOGIN_LOCKOUT_SECONDS``;
- ``LOGIN_IP_FAILURE_LIMIT`` failures (default four times the username limit) from one network
  address within the window lock that address for the same time, whatever usernames it tried;
- while locked every attempt is refused with the same message, right password or not;
- all of it is kept in the database so that every web process sees the same counters.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from gridgov.accounts.errors import InvalidCredentialsError, LoginLockedError
from gridgov.accounts.models import LoginAttempt, User
from gridgov.accounts.twofactor import two_factor_required_for
from gridgov.core.audit import audit_record

LOCK_ACCOUNT = "account"
LOCK_ADDRESS = "address"


def _username_key(username: str) -> str:
    return username.strip().casefold()[:150]


def _ip_failure_limit() -> int:
    limit: int = getattr(settings, "LOGIN_IP_FAILURE_LIMIT", 4 * settings.LOGIN_FAILURE_LIMIT)
    return limit


def _latest(**filters: object) -> dt.datetime | None:
    latest: dt.datetime | None = LoginAttempt.objects.filter(**filters).aggregate(latest=Max("at"))[
        "latest"
    ]
    return latest


def _remaining_seconds(lock_started: dt.datetime | None, now: dt.datetime) -> int:
    if lock_started is None:
        return 0
    ends = lock_started + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    return max(0, math.ceil((ends - now).total_seconds()))


def login_lock_state(
    *, username: str, ip_address: str | None, now: dt.datetime | None = None
) -> tuple[int, str]:
    """(remaining lock seconds, ``"account"`` or ``"address"``); (0, "") when not locked."""
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    account = _remaining_seconds(
        _latest(username=_username_key(username), started_user_lock=True, at__gt=since), now
    )
    address = 0
    if ip_address:
        address = _remaining_seconds(
            _latest(ip_address=ip_address, started_ip_lock=True, at__gt=since), now
        )
    if account == 0 and address == 0:
        return 0, ""
    return (account, LOCK_ACCOUNT) if account >= address else (address, LOCK_ADDRESS)


def login_lockout_status(
    *, username: str, ip_address: str | None, now: dt.datetime | None = None
) -> int:
    """Seconds until this username may try again from this address (0: not locked)."""
    return login_lock_state(username=username, ip_address=ip_address, now=now)[0]


def _failures_since(*, now: dt.datetime, **filters: object) -> int:
    window_start = now - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return LoginAttempt.objects.filter(
        outcome=LoginAttempt.Outcome.FAILURE, at__gt=window_start, **filters
    ).count()


def _later(*moments: dt.datetime | None) -> dt.datetime:
    return max(moment for moment in moments if moment is not None)


@transaction.atomic
def login_attempt_record(
    *, username: str, ip_address: str | None, outcome: str, now: dt.datetime | None = None
) -> LoginAttempt:
    """Keep one attempt; a failure that reaches a limit starts a lock (and is audited).

    Failures count from the latest of: the window's start, the last full sign-in of the
    username (not for the address counter), the end of the last lock.
    """
    now = now or timezone.now()
    key = _username_key(username)
    window_start = now - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    started_user_lock = started_ip_lock = False
    if outcome == LoginAttempt.Outcome.FAILURE:
        user_since = _later(
            window_start,
            _latest(username=key, outcome=LoginAttempt.Outcome.SUCCESS),
            _latest(username=key, started_user_lock=True),
        )
        user_failures = LoginAttempt.objects.filter(
            username=key, outcome=LoginAttempt.Outcome.FAILURE, at__gt=user_since
        ).count()
        started_user_lock = user_failures + 1 >= settings.LOGIN_FAILURE_LIMIT
        if ip_address:
            ip_since = _later(window_start, _latest(ip_address=ip_address, started_ip_lock=True))
            ip_failures = LoginAttempt.objects.filter(
                ip_address=ip_address, outcome=LoginAttempt.Outcome.FAILURE, at__gt=ip_since
            ).count()
            started_ip_lock = ip_failures + 1 >= _ip_failure_limit()
    attempt = LoginAttempt.objects.create(
        username=key,
        ip_address=ip_address,
        at=now,
        outcome=outcome,
        succeeded=outcome == LoginAttempt.Outcome.SUCCESS,
        started_user_lock=started_user_lock,
        started_ip_lock=started_ip_lock,
    )
    for started, lock in ((started_user_lock, LOCK_ACCOUNT), (started_ip_lock, LOCK_ADDRESS)):
        if started:
            audit_record(
                actor=None,
                action="accounts.login.locked",
                object_type="accounts.user",
                object_label=key,
                changes={"lock": lock, "seconds": settings.LOGIN_LOCKOUT_SECONDS},
                ip_address=ip_address,
            )
    return attempt


def login_failure_record(
    *, username: str, ip_address: str | None, action: str, now: dt.datetime | None = None
) -> None:
    """Record a failed factor; raise the lock error if this failure started a lock."""
    now = now or timezone.now()
    attempt = login_attempt_record(
        username=username, ip_address=ip_address, outcome=LoginAttempt.Outcome.FAILURE, now=now
    )
    audit_record(
        actor=None,
        action=action,
        object_type="accounts.user",
        object_label=_username_key(username),
        ip_address=ip_address,
    )
    if attempt.started_user_lock or attempt.started_ip_lock:
        remaining, reason = login_lock_state(username=username, ip_address=ip_address, now=now)
        raise LoginLockedError(remaining, reason)


def login_refuse_if_locked(
    *, username: str, ip_address: str | None, now: dt.datetime | None = None
) -> None:
    """Refuse (and record the refusal) while the username or the address is locked."""
    now = now or timezone.now()
    remaining, reason = login_lock_state(username=username, ip_address=ip_address, now=now)
    if remaining:
        login_attempt_record(
            username=username,
            ip_address=ip_address,
            outcome=LoginAttempt.Outcome.REFUSED,
            now=now,
        )
        audit_record(
            actor=None,
            action="accounts.login.refused",
            object_type="accounts.user",
            object_label=_username_key(username),
            changes={"lock": reason},
            ip_address=ip_address,
        )
        raise LoginLockedError(remaining, reason)


@dataclass(frozen=True)
class PasswordStep:
    """The outcome of the password step: who, and what the second step must be."""

    user: User
    two_factor: str  # "none", "verify" or "setup"

    @property
    def is_complete(self) -> bool:
        return self.two_factor == "none"


def login_with_password(
    *, username: str, password: str, ip_address: str | None, now: dt.datetime | None = None
) -> PasswordStep:
    """The first sign-in step. Wrong passwords and unknown usernames answer alike."""
    now = now or timezone.now()
    login_refuse_if_locked(username=username, ip_address=ip_address, now=now)
    user = authenticate(username=username, password=password)
    if not isinstance(user, User):
        login_failure_record(
            username=username, ip_address=ip_address, action="accounts.login.failed", now=now
        )
        raise InvalidCredentialsError()
    if not two_factor_required_for(user):
        login_complete(user=user, ip_address=ip_address, method="password", now=now)
        return PasswordStep(user=user, two_factor="none")
    with transaction.atomic():
        login_attempt_record(
            username=username,
            ip_address=ip_address,
            outcome=LoginAttempt.Outcome.PASSWORD_VERIFIED,
            now=now,
        )
        audit_record(
            actor=user,
            action="accounts.login.password_verified",
            target=user,
            ip_address=ip_address,
        )
    return PasswordStep(user=user, two_factor="verify" if user.has_two_factor else "setup")


@transaction.atomic
def login_complete(
    *, user: User, ip_address: str | None, method: str, now: dt.datetime | None = None
) -> None:
    """Every factor passed: reset the failure counter and audit the sign-in."""
    now = now or timezone.now()
    login_attempt_record(
        username=user.get_username(),
        ip_address=ip_address,
        outcome=LoginAttempt.Outcome.SUCCESS,
        now=now,
    )
    User.objects.filter(pk=user.pk).update(last_login=now)
    audit_record(
        actor=user,
        action="accounts.login",
        target=user,
        changes={"method": method},
        ip_address=ip_address,
    )


def logout_record(*, user: User, ip_address: str | None) -> None:
    audit_record(actor=user, action="accounts.logout", target=user, ip_address=ip_address)


def session_expired_record(*, user: User, reason: str, ip_address: str | None) -> None:
    audit_record(
        actor=user,
        action="accounts.session.expired",
        target=user,
        changes={"reason": reason},
        ip_address=ip_address,
    )


def session_expire_stale(*, now: dt.datetime | None = None) -> int:
    """Delete stored sessions whose expiry has passed; return how many (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        removed, _by_model = Session.objects.filter(expire_date__lt=now).delete()
        if removed:
            audit_record(
                actor=None,
                action="accounts.session.swept",
                object_type="sessions.session",
                changes={"removed": removed},
            )
    return removed
