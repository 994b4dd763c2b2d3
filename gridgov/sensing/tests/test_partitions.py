"""The event table partitioned by month on PostgreSQL; the same services harmless on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.sensing.models import Event
from gridgov.sensing.services.ingest import ingest_messages
from gridgov.sensing.services.partitions import (
    DEFAULT_PARTITION,
    PartitionError,
    add_months,
    event_partition_detach,
    event_partitions_ensure,
    event_partitions_list,
    month_start,
    partition_name,
)
from gridgov.sensing.tests.factories import (
    RECEIVED_AT,
    DeviceFactory,
    EventFactory,
    native_event,
    native_message,
)

pytestmark = pytest.mark.django_db

IS_POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(
    not IS_POSTGRESQL, reason="partitioned tables exist only on PostgreSQL"
)
sqlite_only = pytest.mark.skipif(
    IS_POSTGRESQL, reason="checks the portable path, where the table is not partitioned"
)


def this_month() -> datetime:
    return month_start(timezone.now())


def partition_of(event: Event) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM sensing_event WHERE id = %s", [event.pk]
        )
        return str(cursor.fetchone()[0])


def attached_names() -> list[str]:
    return [partition.name for partition in event_partitions_list()]


@postgresql_only
def test_the_event_table_is_partitioned_by_month_after_migrate():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'sensing_event'::regclass"
        )
        strategy = cursor.fetchone()

    assert strategy == ("r",)
    names = attached_names()
    assert names[-1] == DEFAULT_PARTITION
    assert {partition_name(add_months(this_month(), offset)) for offset in range(4)} <= set(names)


@postgresql_only
def test_events_of_different_months_land_in_their_partitions():
    device = DeviceFactory()
    now = this_month() + timedelta(days=2)
    later = add_months(this_month(), 1) + timedelta(hours=3)

    first = EventFactory(device=device, occurred_at=now)
    second = EventFactory(device=device, occurred_at=later)

    assert partition_of(first) == partition_name(this_month())
    assert partition_of(second) == partition_name(add_months(this_month(), 1))
    assert second.pk > first.pk


def test_an_event_far_in_the_past_is_stored():
    DeviceFactory(code="door-1")

    result = ingest_messages(
        [native_message("door-1", native_event("e-old", at="2001-03-04T05:06:07+08:00"))]
    )

    assert (result.stored, result.duplicates, result.rejected) == (1, 0, {})
    assert Event.objects.get().occurred_at == datetime(2001, 3, 3, 21, 6, 7, tzinfo=UTC)


@postgresql_only
def test_an_event_far_in_the_past_lands_in_the_default_partition():
    DeviceFactory(code="door-1")

    ingest_messages(
        [native_message("door-1", native_event("e-old", at="2001-03-04T05:06:07+08:00"))]
    )

    assert partition_of(Event.objects.get()) == DEFAULT_PARTITION


def test_a_replayed_event_is_still_a_duplicate():
    DeviceFactory(code="door-1")
    message = native_message("door-1", [native_event("e-1"), native_event("e-2")])

    first = ingest_messages([message])
    replay = ingest_messages([message])

    assert (first.stored, first.duplicates) == (2, 0)
    assert (replay.stored, replay.duplicates) == (0, 2)
    assert Event.objects.count() == 2


@postgresql_only
def test_on_postgresql_the_same_event_id_at_another_time_is_a_new_event():
    DeviceFactory(code="door-1")
    ingest_messages([native_message("door-1", native_event("e-1"))])

    result = ingest_messages(
        [native_message("door-1", native_event("e-1", at="2026-12-03T15:58:00+08:00"))]
    )

    assert (result.stored, result.duplicates) == (1, 0)
    assert Event.objects.filter(event_id="e-1").count() == 2


@sqlite_only
def test_on_sqlite_the_same_event_id_at_another_time_is_a_duplicate():
    DeviceFactory(code="door-1")
    ingest_messages([native_message("door-1", native_event("e-1"))])

    result = ingest_messages(
        [native_message("door-1", native_event("e-1", at="2026-12-03T15:58:00+08:00"))]
    )

    assert (result.stored, result.duplicates) == (0, 1)
    assert Event.objects.filter(event_id="e-1").count() == 1


@postgresql_only
def test_ensure_creates_the_months_ahead_and_is_idempotent():
    # given a day a year from now, whose months the migration did not create
    start = add_months(this_month(), 12)
    expected = [partition_name(add_months(start, offset)) for offset in range(4)]

    # when
    created = event_partitions_ensure(months_ahead=3, now=start + timedelta(days=10))
    again = event_partitions_ensure(months_ahead=3, now=start + timedelta(days=10))

    # then
    assert created == expected
    assert again == []
    months = {partition.name: partition for partition in event_partitions_list()}
    assert set(expected) <= set(months)
    assert (months[expected[0]].starts_at, months[expected[0]].ends_at) == (
        start,
        add_months(start, 1),
    )


@postgresql_only
def test_ensure_moves_the_rows_of_a_new_month_out_of_the_default_partition():
    # given an event of a month that has no partition yet: it waits in the default partition
    month = add_months(this_month(), 8)
    event = EventFactory(occurred_at=month + timedelta(days=3), received_at=RECEIVED_AT)
    assert partition_of(event) == DEFAULT_PARTITION

    # when its month is created
    created = event_partitions_ensure(months_ahead=0, now=month)

    # then the event moved into it, the same row with the same id
    assert created == [partition_name(month)]
    assert partition_of(event) == partition_name(month)
    assert Event.objects.get(pk=event.pk).event_id == event.event_id
    assert Event.objects.count() == 1


def test_a_negative_number_of_months_ahead_is_refused():
    with pytest.raises(PartitionError):
        event_partitions_ensure(months_ahead=-1)


@sqlite_only
def test_on_sqlite_there_is_nothing_to_ensure_or_list():
    assert event_partitions_ensure() == []
    assert event_partitions_list() == []


@postgresql_only
def test_detaching_a_past_month_is_audited_and_takes_its_events_out(town, platform_admin):
    # given a partition of a month that has ended, holding one event
    month = add_months(this_month(), -2)
    event_partitions_ensure(months_ahead=0, now=month)
    EventFactory(occurred_at=month + timedelta(days=1))

    # when
    detached = event_partition_detach(month=month.date(), actor=platform_admin)

    # then
    assert detached.name == partition_name(month)
    assert detached.name not in attached_names()
    assert Event.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM " + detached.name)
        assert cursor.fetchone() == (1,)
    entry = AuditEntry.objects.get(action="sensing.event_partition_detach")
    assert (entry.actor_id, entry.object_id) == (platform_admin.pk, detached.name)


@postgresql_only
def test_the_month_in_progress_cannot_be_detached(town, platform_admin):
    with pytest.raises(PartitionError) as refused:
        event_partition_detach(month=timezone.now().date(), actor=platform_admin)

    assert refused.value.code == "month_not_ended"
    assert partition_name(this_month()) in attached_names()
    assert not AuditEntry.objects.filter(action="sensing.event_partition_detach").exists()


def test_only_a_platform_administrator_may_detach(town, make_member):
    worker = make_member(Role.GRID_WORKER, town.grid_a)

    with pytest.raises(PermissionDenied):
        event_partition_detach(month=add_months(this_month(), -2).date(), actor=worker)

    assert not AuditEntry.objects.filter(action="sensing.event_partition_detach").exists()


@sqlite_only
def test_on_sqlite_a_detach_is_refused_with_a_reason(town, platform_admin):
    with pytest.raises(PartitionError) as refused:
        event_partition_detach(month=add_months(this_month(), -2).date(), actor=platform_admin)

    assert refused.value.code == "not_partitioned"
    assert not AuditEntry.objects.filter(action="sensing.event_partition_detach").exists()


def test_the_partition_job_runs_daily_and_counts_what_it_created():
    from gridgov.config.celery import app as celery_app

    entry = settings.CELERY_BEAT_SCHEDULE["sensing-event-partitions"]
    celery_app.loader.import_default_modules()
    task = celery_app.tasks[entry["task"]]

    event_partitions_ensure()

    assert entry["schedule"] == 24 * 60 * 60
    # This month and three ahead exist already: nothing is left to create.
    assert task() == 0
