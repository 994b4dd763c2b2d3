"""The embedded scheduler, driven tick by tick with explicit times (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab

from gridgov.config.celery import app
from gridgov.core.models import PeriodicRun
from gridgov.core.scheduler import (
    EmbeddedScheduler,
    ScheduleError,
    jobs_from_schedule,
)

CALLS: list[str] = []


@app.task(name="gridgov.core.tests.record_call")
def record_call(label: str = "ran") -> str:
    CALLS.append(label)
    return label


@app.task(name="gridgov.core.tests.always_fails")
def always_fails() -> None:
    raise RuntimeError("boom for 13812345678")


START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EVERY_10_MIN = {
    "sample": {
        "task": "gridgov.core.tests.record_call",
        "schedule": 600.0,
        "kwargs": {"label": "sample"},
    }
}


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def scheduler(schedule=None, instance_id="serve-1", **kwargs) -> EmbeddedScheduler:
    return EmbeddedScheduler(
        schedule=EVERY_10_MIN if schedule is None else schedule,
        instance_id=instance_id,
        **kwargs,
    )


def test_a_new_job_runs_on_the_first_tick_and_books_its_next_slot(db):
    # when
    outcomes = scheduler().tick(now=START)

    # then
    assert [(outcome.name, outcome.succeeded) for outcome in outcomes] == [("sample", True)]
    assert CALLS == ["sample"]
    row = PeriodicRun.objects.get(name="sample")
    assert row.next_run_at == START + timedelta(minutes=10)
    assert row.run_count == 1
    assert row.running_until is None
    assert row.last_started_at == START
    assert row.last_error == ""


def test_a_job_does_not_run_again_before_its_next_slot(db):
    # given
    runner = scheduler()
    runner.tick(now=START)

    # when
    outcomes = runner.tick(now=START + timedelta(minutes=9, seconds=59))

    # then
    assert outcomes == []
    assert CALLS == ["sample"]
    assert PeriodicRun.objects.get(name="sample").run_count == 1


def test_a_job_runs_again_when_its_next_slot_comes(db):
    # given
    runner = scheduler()
    runner.tick(now=START)

    # when
    runner.tick(now=START + timedelta(minutes=10))

    # then
    assert CALLS == ["sample", "sample"]
    row = PeriodicRun.objects.get(name="sample")
    assert row.run_count == 2
    assert row.next_run_at == START + timedelta(minutes=20)


def test_two_processes_never_run_the_same_slot(db):
    # given two serve processes sharing the database, both ticking at the same moment
    first, second = scheduler(instance_id="serve-1"), scheduler(instance_id="serve-2")

    # when
    first_outcomes = first.tick(now=START)
    second_outcomes = second.tick(now=START)

    # then
    assert len(first_outcomes) == 1
    assert second_outcomes == []
    assert CALLS == ["sample"]
    assert PeriodicRun.objects.get(name="sample").claimed_by == "serve-1"


def test_a_claim_made_from_a_stale_read_loses_to_the_first_claim(db):
    # given both processes read the ledger row before either claimed it
    first, second = scheduler(instance_id="serve-1"), scheduler(instance_id="serve-2")
    job = first.jobs[0]
    row_read_by_first = first._ledger(START)["sample"]
    row_read_by_second = PeriodicRun.objects.get(name="sample")

    # when both try the conditional update
    first_won = first._claim(job, row_read_by_first, START)
    second_won = second._claim(job, row_read_by_second, START)

    # then exactly one claim took the slot
    assert (first_won, second_won) == (True, False)
    row = PeriodicRun.objects.get(name="sample")
    assert row.claimed_by == "serve-1"
    assert row.next_run_at == START + timedelta(minutes=10)


def test_a_restart_neither_repeats_nor_loses_a_run(db):
    # given a process ran the 08:00 slot and stopped
    scheduler(instance_id="before-restart").tick(now=START)

    # when a new process starts at 08:05, and again at 08:10
    restarted = scheduler(instance_id="after-restart")
    early = restarted.tick(now=START + timedelta(minutes=5))
    on_time = restarted.tick(now=START + timedelta(minutes=10))

    # then 08:00 was not repeated and 08:10 was not lost
    assert early == []
    assert [outcome.name for outcome in on_time] == ["sample"]
    assert CALLS == ["sample", "sample"]


def test_slots_missed_while_down_are_caught_up_once(db):
    # given the process ran at 08:00 and was down for 35 minutes
    scheduler(instance_id="before").tick(now=START)

    # when it comes back at 08:35
    outcomes = scheduler(instance_id="after").tick(now=START + timedelta(minutes=35))

    # then one catch-up run, and the next slot stays on the 10-minute rhythm
    assert len(outcomes) == 1
    assert CALLS == ["sample", "sample"]
    assert PeriodicRun.objects.get(name="sample").next_run_at == START + timedelta(minutes=40)


def test_a_run_whose_process_died_is_taken_over_after_its_lease(db):
    # given a process claimed the 08:00 slot and died before finishing
    PeriodicRun.objects.create(
        name="sample",
        next_run_at=START + timedelta(minutes=10),
        running_until=START + timedelta(minutes=30),
        claimed_by="dead-process",
        last_started_at=START,
        run_count=0,
    )
    survivor = scheduler(instance_id="survivor")

    # when the survivor ticks inside the lease, then after it
    inside_lease = survivor.tick(now=START + timedelta(minutes=20))
    after_lease = survivor.tick(now=START + timedelta(minutes=31))

    # then the run is not duplicated while the lease holds, and is redone once it lapses
    assert inside_lease == []
    assert [outcome.name for outcome in after_lease] == ["sample"]
    row = PeriodicRun.objects.get(name="sample")
    assert row.claimed_by == "survivor"
    assert row.run_count == 1
    assert row.running_until is None
    assert row.next_run_at == START + timedelta(minutes=40)


def test_a_failing_job_is_recorded_and_the_other_jobs_still_run(db):
    # given
    schedule = {
        "broken": {"task": "gridgov.core.tests.always_fails", "schedule": 60},
        **EVERY_10_MIN,
    }

    # when
    outcomes = scheduler(schedule=schedule).tick(now=START)

    # then
    assert [(outcome.name, outcome.succeeded) for outcome in outcomes] == [
        ("broken", False),
        ("sample", True),
    ]
    assert CALLS == ["sample"]
    broken = PeriodicRun.objects.get(name="broken")
    assert broken.last_error == "RuntimeError: boom for 138****5678"
    assert broken.error_count == 1
    assert broken.run_count == 1
    assert broken.running_until is None
    assert broken.next_run_at == START + timedelta(minutes=1)


def test_an_unknown_task_name_is_recorded_as_an_error_not_raised(db):
    # given
    schedule = {"ghost": {"task": "gridgov.nowhere.tasks.missing", "schedule": 60}}

    # when
    outcomes = scheduler(schedule=schedule).tick(now=START)

    # then
    assert len(outcomes) == 1
    assert outcomes[0].error.startswith("NotRegistered")
    assert PeriodicRun.objects.get(name="ghost").error_count == 1


def test_a_crontab_entry_is_scheduled_at_its_next_calendar_slot(db):
    # given a job at minute 0 of every hour
    schedule = {"hourly": {"task": "gridgov.core.tests.record_call", "schedule": crontab(minute=0)}}
    runner = scheduler(schedule=schedule)

    # when
    runner.tick(now=START + timedelta(minutes=15))

    # then the next slot is at the top of an hour, after now
    next_run_at = PeriodicRun.objects.get(name="hourly").next_run_at
    assert next_run_at > START + timedelta(minutes=15)
    assert (next_run_at.minute, next_run_at.second) == (0, 0)
    assert CALLS == ["ran"]


def test_a_schedule_entry_without_a_task_is_refused():
    with pytest.raises(ScheduleError, match="'odd' needs 'task' and 'schedule'"):
        jobs_from_schedule({"odd": {"schedule": 10}})


def test_a_non_positive_interval_is_refused():
    with pytest.raises(ScheduleError, match="positive interval"):
        jobs_from_schedule({"odd": {"task": "x", "schedule": 0}})


def test_every_job_in_the_settings_schedule_names_a_registered_task(settings):
    # given
    runner = EmbeddedScheduler(instance_id="check")

    # then
    assert {job.task for job in runner.jobs} == {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    missing = [job.task for job in runner.jobs if job.task not in app.tasks]
    assert missing == []


def test_the_background_thread_starts_and_stops_on_request(db):
    # given an empty schedule, so the thread touches nothing
    runner = scheduler(schedule={}, poll_seconds=3600)

    # when
    runner.start()
    started = runner.is_running
    runner.stop(timeout=10)

    # then
    assert started is True
    assert runner.is_running is False
