"""What happens to an alarm after it is raised, and what people do with it."""

from __future__ import annotations


def alarm_raised(alarm_id: int) -> None:
    """Called once, after the commit, for every newly raised alarm."""
