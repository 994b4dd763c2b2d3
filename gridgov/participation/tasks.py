"""Background jobs of participation (DESIGN D4): thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from gridgov.participation.services.consultations import (
    consultation_reminders_send,
    consultations_close_due,
)
from gridgov.participation.services.votes import vote_close_due


@shared_task(name="gridgov.participation.tasks.close_due_votes")
def close_due_votes() -> int:
    """Close, certify and seal every open vote past its deadline; returns how many."""
    return vote_close_due()


@shared_task(name="gridgov.participation.tasks.consultation_reminders")
def consultation_reminders() -> int:
    """Close consultations past their time, then remind those who have not answered (once a
    day per consultation, daytime only); returns the messages recorded."""
    consultations_close_due()
    return consultation_reminders_send()
