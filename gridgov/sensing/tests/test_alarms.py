"""Raising and clearing alarms: one per ongoing condition, suppression, concurrent inserts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridgov.sensing.models import Alarm, AlarmStatus, AlarmStep
from gridgov.sensing.services import alarms
from gridgov.sensing.services.alarms import (
    AlarmDraft,
    clear_condition,
    raise_alarm,
    raise_alarms,
)
from gridgov.sensing.tests.factories import DeviceFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def draft(town):
    scenario = ScenarioFactory(code="door-held", suppress_seconds=600)
    device = DeviceFactory(code="door-1", cell=town.grid_a)

    def make(at: datetime = T0, occurrences: int = 1, **changes) -> AlarmDraft:
        fields = {
            "scenario_id": scenario.pk,
            "scenario_version": 3,
            "severity": "warning",
            "suppress_seconds": scenario.suppress_seconds,
            "condition_key": f"{scenario.pk}:d:{device.pk}",
            "summary": "门禁常开：1号门",
            "cell_id": town.grid_a.pk,
            "occurred_at": at,
            "occurrences": occurrences,
            "device_id": device.pk,
            "values": {"state": "open"},
        }
        fields.update(changes)
        return AlarmDraft(**fields)

    return make


def test_a_new_condition_raises_an_alarm_with_its_raised_step(draft):
    alarm_id = raise_alarm(draft())

    alarm = Alarm.objects.get()
    assert alarm.pk == alarm_id
    assert (alarm.status, alarm.occurrences, alarm.scenario_version) == (AlarmStatus.ACTIVE, 1, 3)
    assert (alarm.raised_at, alarm.last_occurred_at) == (T0, T0)
    assert list(alarm.steps.values_list("action", "at")) == [(AlarmStep.Action.RAISED, T0)]


def test_the_same_condition_again_bumps_the_open_alarm_instead_of_inserting(draft):
    first = raise_alarm(draft())

    second = raise_alarm(draft(T0 + timedelta(minutes=1), occurrences=4))

    assert second == first
    alarm = Alarm.objects.get()
    assert (alarm.occurrences, alarm.last_occurred_at) == (5, T0 + timedelta(minutes=1))
    assert alarm.steps.count() == 1


def test_drafts_of_one_condition_in_one_batch_are_merged(draft):
    result = raise_alarms([draft(T0 + timedelta(seconds=n)) for n in range(50)])

    assert len(result.raised) == 1
    alarm = Alarm.objects.get()
    assert (alarm.occurrences, alarm.raised_at) == (50, T0)
    assert alarm.last_occurred_at == T0 + timedelta(seconds=49)


def test_an_occurrence_older_than_the_last_does_not_move_its_time_back(draft):
    raise_alarm(draft(T0 + timedelta(minutes=5)))

    raise_alarm(draft(T0))

    alarm = Alarm.objects.get()
    assert (alarm.occurrences, alarm.last_occurred_at) == (2, T0 + timedelta(minutes=5))


def test_a_cleared_condition_raises_nothing_within_its_suppression_window(draft):
    raise_alarm(draft())
    clear_condition(draft().condition_key, at=T0 + timedelta(minutes=1))

    suppressed = raise_alarms([draft(T0 + timedelta(minutes=10))])

    assert suppressed.suppressed == [draft().condition_key]
    assert suppressed.raised == []
    assert Alarm.objects.count() == 1


def test_a_cleared_condition_raises_a_new_alarm_after_its_suppression_window(draft):
    raise_alarm(draft())
    clear_condition(draft().condition_key, at=T0 + timedelta(minutes=1))

    raise_alarm(draft(T0 + timedelta(minutes=11, seconds=1)))

    assert list(Alarm.objects.order_by("id").values_list("status", flat=True)) == [
        AlarmStatus.CLEARED,
        AlarmStatus.ACTIVE,
    ]


def test_clearing_records_the_time_and_a_cleared_step_and_nothing_when_already_clear(draft):
    raise_alarm(draft())

    assert clear_condition(draft().condition_key, at=T0 + timedelta(minutes=2)) is True
    assert clear_condition(draft().condition_key, at=T0 + timedelta(minutes=3)) is False

    alarm = Alarm.objects.get()
    assert (alarm.status, alarm.cleared_at) == (AlarmStatus.CLEARED, T0 + timedelta(minutes=2))
    assert alarm.clear_note == "条件已结束，自动解除"
    assert list(alarm.steps.values_list("action", flat=True)) == ["raised", "cleared"]


def test_an_insert_losing_a_race_counts_on_the_alarm_that_won(draft):
    # given another ingester inserted the alarm after this one looked for it
    won = raise_alarm(draft())

    alarm_id, is_new = alarms._insert_or_bump(draft(T0 + timedelta(seconds=5), occurrences=2))

    assert (alarm_id, is_new) == (won, False)
    alarm = Alarm.objects.get()
    assert alarm.occurrences == 3
    assert alarm.steps.count() == 1


def test_a_new_alarm_is_handed_on_after_the_commit_and_a_bump_is_not(
    draft, monkeypatch, django_capture_on_commit_callbacks
):
    handed: list[int] = []
    monkeypatch.setattr(alarms, "alarm_raised", handed.append)

    with django_capture_on_commit_callbacks(execute=True):
        alarm_id = raise_alarm(draft())
    with django_capture_on_commit_callbacks(execute=True):
        raise_alarm(draft(T0 + timedelta(seconds=1)))

    assert handed == [alarm_id]


def test_a_scan_seeing_the_condition_again_does_not_count_an_occurrence(draft):
    raise_alarm(draft(occurrences=0))
    raise_alarm(draft(T0 + timedelta(seconds=30), occurrences=0))

    alarm = Alarm.objects.get()
    assert (alarm.occurrences, alarm.last_occurred_at) == (1, T0)
