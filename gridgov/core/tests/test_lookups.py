"""Per-process copies of small read-mostly tables: kept for their lifetime, cleared by an edit."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from gridgov.core.lookups import TimedLookup, lookups_clear
from gridgov.core.models import CalendarOverride
from gridgov.core.workdays import calendar_overrides, is_working_day

NATIONAL_DAY = datetime.date(2025, 10, 1)


def test_a_copy_is_kept_for_its_lifetime_and_reloaded_after(monkeypatch) -> None:
    loads: list[int] = []
    clock = [1000.0]
    monkeypatch.setattr("gridgov.core.lookups.time.monotonic", lambda: clock[0])
    lookup = TimedLookup(lambda: loads.append(1) or len(loads))
    with override_settings(GRIDGOV_LOOKUP_TTL_SECONDS=10):
        assert lookup.get() == 1
        clock[0] += 9
        assert lookup.get() == 1
        clock[0] += 2
        assert lookup.get() == 2
        lookup.clear()
        assert lookup.get() == 3
        lookups_clear()
        assert lookup.get() == 4
    with override_settings(GRIDGOV_LOOKUP_TTL_SECONDS=0):
        assert lookup.get() == 5
        assert lookup.get() == 6


@pytest.mark.django_db
def test_the_calendar_reads_its_overrides_once_and_sees_an_edit_at_once() -> None:
    assert not is_working_day(NATIONAL_DAY)
    with CaptureQueriesContext(connection) as queries:
        assert not is_working_day(NATIONAL_DAY)
    assert len(queries) == 0
    override = CalendarOverride.objects.create(day=NATIONAL_DAY, is_working_day=True, note="值班")
    assert is_working_day(NATIONAL_DAY)  # the save cleared this process's copy
    override.delete()
    assert not is_working_day(NATIONAL_DAY)
    assert calendar_overrides.get() == {}
