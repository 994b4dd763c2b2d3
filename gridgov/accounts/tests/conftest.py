"""Fixtures for the accounts tests: a clock under control and users with a second factor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from gridgov.accounts.models import User
from gridgov.accounts.twofactor import code_for_step, new_secret, time_step
from gridgov.core.crypto import encrypt_text

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    # DRF's token throttle counts in the cache; each test starts with an empty count.
    cache.clear()
    yield
    cache.clear()


class Clock:
    """``django.utils.timezone.now`` pinned to a moment the test moves forward."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    pinned = Clock(T0)
    monkeypatch.setattr(timezone, "now", lambda: pinned.now)
    return pinned


def enable_two_factor(user: User, *, at: dt.datetime | None = None) -> str:
    """Give ``user`` a confirmed TOTP secret, stored as the service stores it; return it."""
    secret = new_secret()
    user.totp_secret_encrypted = encrypt_text(
        secret, associated_data=f"accounts.user.totp:{user.pk}"
    )
    user.totp_confirmed_at = at or timezone.now()
    user.save(update_fields=["totp_secret_encrypted", "totp_confirmed_at"])
    return secret


def current_code(secret: str, now: dt.datetime | None = None, *, offset: int = 0) -> str:
    return code_for_step(secret, time_step(now or timezone.now()) + offset)


@pytest.fixture
def english():
    """Service messages in English (the default language is zh-hans)."""
    with translation.override("en"):
        yield
