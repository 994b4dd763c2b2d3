"""Working days on China's official calendar (国务院办公厅 holiday arrangement).

A day is a working day when the local override table (``core.CalendarOverride``) says so;
otherwise when ``chinese_calendar`` says so (holidays off, make-up working days 调休 on);
outside the years it knows, Monday to Friday. The override table is small and read-mostly:
each process keeps a copy for a few seconds (``gridgov.core.lookups``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import chinese_calendar
from django.utils import timezone

from gridgov.core.lookups import TimedLookup
from gridgov.core.models import CalendarOverride


def _all_overrides() -> dict[datetime.date, bool]:
    return dict(CalendarOverride.objects.values_list("day", "is_working_day"))


# Cleared by the core app whenever an override is saved or deleted.
calendar_overrides = TimedLookup(_all_overrides)


def _official_working_day(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def _overrides(first: datetime.date, last: datetime.date) -> Mapping[datetime.date, bool]:
    return {day: bool(working) for day, working in calendar_overrides.get().items()
            if first <= day <= last}  # fmt: skip


def is_working_day(day: datetime.date) -> bool:
    overrides = calendar_overrides.get()
    if day in overrides:
        return bool(overrides[day])
    return _official_working_day(day)


def working_days_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The working days from ``first`` to ``last`` inclusive."""
    overrides = _overrides(first, last)
    days: list[datetime.date] = []
    day = first
    while day <= last:
        if _is_working(day, overrides):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _is_working(day: datetime.date, overrides: Mapping[datetime.date, bool]) -> bool:
    if day in overrides:
        return overrides[day]
    return _official_working_day(day)


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """The same local time on the ``days``-th working day after ``start``'s day.

    Started on a non-working day, the count runs from the start (00:00) of the next working
    day: a case filed on a holiday afternoon with one working day is due when the first
    working day after the holiday has passed in full (00:00 of the working day after it).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    tz = timezone.get_current_timezone()
    local = timezone.localtime(start, tz) if timezone.is_aware(start) else start
    # Overrides are read for a window ahead, widened when a long count runs past it.
    horizon = local.date() + datetime.timedelta(days=days * 3 + 60)
    overrides = _overrides(local.date(), horizon)
    day = local.date()
    clock = local.time()
    if not _is_working(day, overrides):
        clock = datetime.time(0, 0)
        while not _is_working(day, overrides):
            day += datetime.timedelta(days=1)
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if day > horizon:
            overrides = {**overrides, **_overrides(day, day + datetime.timedelta(days=366))}
            horizon = day + datetime.timedelta(days=366)
        if _is_working(day, overrides):
            counted += 1
    naive = datetime.datetime.combine(day, clock)
    if timezone.is_aware(start):
        return timezone.make_aware(naive, tz)
    return naive
