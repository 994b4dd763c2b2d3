"""Session time-outs (等保 2.0 level 3 登录连接超时; OWASP ASVS V3.3).

A session ends after ``SESSION_IDLE_TIMEOUT_SECONDS`` without a request and, however busy,
``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` after signing in. Both times live in the session itself,
so every web process enforces them the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from typing import Any

from django.conf import settings

SIGNED_IN_AT = "gridgov_signed_in_at"
LAST_SEEN_AT = "gridgov_last_seen_at"
TWO_FACTOR_VERIFIED_AT = "gridgov_two_factor_verified_at"

IDLE = "idle"
ABSOLUTE = "absolute"
# Refresh the last-seen stamp at most this often, so that not every request writes the session.
_TOUCH_GRANULARITY_SECONDS = 60


def _touch_granularity() -> int:
    return min(_TOUCH_GRANULARITY_SECONDS, max(1, settings.SESSION_IDLE_TIMEOUT_SECONDS // 10))


def session_start(session: Any, *, now: dt.datetime, two_factor_verified: bool) -> None:
    """Stamp a freshly signed-in session (after ``login()`` rotated its key)."""
    stamp = now.timestamp()
    session[SIGNED_IN_AT] = stamp
    session[LAST_SEEN_AT] = stamp
    if two_factor_verified:
        session[TWO_FACTOR_VERIFIED_AT] = stamp
    else:
        session.pop(TWO_FACTOR_VERIFIED_AT, None)
    # The stored session expires with the idle time-out, so the periodic sweep removes it.
    session.set_expiry(settings.SESSION_IDLE_TIMEOUT_SECONDS + _touch_granularity())


def session_mark_two_factor_verified(session: Any, *, now: dt.datetime) -> None:
    session[TWO_FACTOR_VERIFIED_AT] = now.timestamp()


def session_is_two_factor_verified(session: MutableMapping[str, Any]) -> bool:
    return session.get(TWO_FACTOR_VERIFIED_AT) is not None


def session_expiry_reason(session: MutableMapping[str, Any], *, now: dt.datetime) -> str | None:
    """``"idle"``, ``"absolute"`` or ``None`` while the session is still valid."""
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen_at = session.get(LAST_SEEN_AT)
    if signed_in_at is None or last_seen_at is None:
        return None
    stamp = now.timestamp()
    if stamp - float(signed_in_at) > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
        return ABSOLUTE
    if stamp - float(last_seen_at) > settings.SESSION_IDLE_TIMEOUT_SECONDS:
        return IDLE
    return None


def session_touch(session: Any, *, now: dt.datetime) -> None:
    """Record activity; a session signed in some other way (admin, tests) gets its stamps now."""
    stamp = now.timestamp()
    if session.get(SIGNED_IN_AT) is None:
        session[SIGNED_IN_AT] = stamp
        session[LAST_SEEN_AT] = stamp
        session.set_expiry(settings.SESSION_IDLE_TIMEOUT_SECONDS + _touch_granularity())
        return
    if stamp - float(session.get(LAST_SEEN_AT, 0)) >= _touch_granularity():
        session[LAST_SEEN_AT] = stamp
