"""Working-day arithmetic on the official calendar, with make-up days and local overrides."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.core.models import CalendarOverride
from gridgov.core.workdays import add_working_days, is_working_day, working_days_between

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.mark.django_db
def test_national_day_and_make_up_saturdays() -> None:
    assert is_working_day(datetime.date(2025, 9, 28))  # Sunday, made up for the holiday
    assert is_working_day(datetime.date(2025, 10, 11))  # Saturday, made up
    for day in range(1, 9):
        assert not is_working_day(datetime.date(2025, 10, day))
    assert is_working_day(datetime.date(2025, 10, 9))
    assert not is_working_day(datetime.date(2025, 9, 27))  # an ordinary Saturday


@pytest.mark.django_db
def test_add_working_days_across_the_holiday() -> None:
    # Friday 26 September, 10:00, + 1 → Sunday 28 September (a make-up working day).
    assert add_working_days(at(2025, 9, 26, 10, 0), 1) == at(2025, 9, 28, 10, 0)
    # Sunday 28 September + 1 → Monday 29; + 2 → Tuesday 30; + 3 → Thursday 9 October.
    assert add_working_days(at(2025, 9, 28, 9, 30), 1) == at(2025, 9, 29, 9, 30)
    assert add_working_days(at(2025, 9, 28, 9, 30), 3) == at(2025, 10, 9, 9, 30)
    # Five working days from 30 September: 9, 10, 11 (Saturday, made up), 13, 14 October.
    assert add_working_days(at(2025, 9, 30, 16, 0), 5) == at(2025, 10, 14, 16, 0)


@pytest.mark.django_db
def test_a_start_on_a_day_off_counts_from_the_next_working_day() -> None:
    # Filed on 3 October (holiday): counting starts 9 October 00:00; one day → 10 October 00:00.
    assert add_working_days(at(2025, 10, 3, 15, 0), 1) == at(2025, 10, 10, 0, 0)
    # Zero days from a day off: the start of the next working day.
    assert add_working_days(at(2025, 10, 3, 15, 0), 0) == at(2025, 10, 9, 0, 0)
    # Saturday 27 September → counting from Sunday 28 (make-up day) 00:00.
    assert add_working_days(at(2025, 9, 27, 12, 0), 1) == at(2025, 9, 29, 0, 0)


@pytest.mark.django_db
def test_the_local_override_table_wins() -> None:
    CalendarOverride.objects.create(
        day=datetime.date(2025, 9, 29), is_working_day=False, note="台风停工"
    )
    CalendarOverride.objects.create(
        day=datetime.date(2025, 10, 4), is_working_day=True, note="防汛值班"
    )
    assert not is_working_day(datetime.date(2025, 9, 29))
    assert is_working_day(datetime.date(2025, 10, 4))
    assert add_working_days(at(2025, 9, 28, 9, 0), 1) == at(2025, 9, 30, 9, 0)
    assert add_working_days(at(2025, 9, 30, 9, 0), 1) == at(2025, 10, 4, 9, 0)
    assert working_days_between(datetime.date(2025, 9, 27), datetime.date(2025, 10, 5)) == [
        datetime.date(2025, 9, 28),
        datetime.date(2025, 9, 30),
        datetime.date(2025, 10, 4),
    ]


@pytest.mark.django_db
def test_outside_the_known_years_monday_to_friday() -> None:
    assert is_working_day(datetime.date(2031, 1, 3))  # a Friday
    assert not is_working_day(datetime.date(2031, 1, 4))
    assert add_working_days(at(2031, 1, 3, 9, 0), 1) == at(2031, 1, 6, 9, 0)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(at(2025, 9, 26, 10, 0), -1)
