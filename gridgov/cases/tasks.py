"""Background jobs of the cases domain (DESIGN D4): thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from gridgov.cases.services.closure import close_unrated_cases
from gridgov.cases.services.deadlines import deadline_scan
from gridgov.core.notifications import deliver_pending


@shared_task(name="gridgov.cases.tasks.scan_deadlines")
def scan_deadlines() -> int:
    """Reminders, overdue flags, escalations, late summonses; returns the number of steps."""
    return deadline_scan().total


@shared_task(name="gridgov.cases.tasks.close_unrated")
def close_unrated() -> int:
    """Close resolved cases nobody rated in time; returns how many were closed."""
    return close_unrated_cases()


@shared_task(name="gridgov.cases.tasks.deliver_notifications")
def deliver_notifications() -> int:
    """Send pending SMS through the configured gateway; returns how many were accepted."""
    return deliver_pending()
