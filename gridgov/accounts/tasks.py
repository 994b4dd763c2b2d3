"""Periodic jobs of the accounts app (DESIGN D4): thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from gridgov.accounts.services import session_expire_stale


@shared_task(name="gridgov.accounts.tasks.expire_stale_sessions")
def expire_stale_sessions() -> int:
    """Delete sessions past their expiry (idle time-out); return how many were removed."""
    return session_expire_stale()
