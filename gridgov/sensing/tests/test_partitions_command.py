"""``gridgov sensing-partitions``: list, ensure and detach the event table's monthly partitions."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone, translation

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.sensing.models import Event
from gridgov.sensing.services.partitions import (
    add_months,
    event_partitions_ensure,
    event_partitions_list,
    month_start,
    partition_name,
)
from gridgov.sensing.tests.factories import EventFactory

pytestmark = pytest.mark.django_db

IS_POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(
    not IS_POSTGRESQL, reason="partitioned tables exist only on PostgreSQL"
)
sqlite_only = pytest.mark.skipif(IS_POSTGRESQL, reason="checks the portable path")


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("sensing_partitions", *args, stdout=out)
    return out.getvalue()


def _attached() -> list[str]:
    return [partition.name for partition in event_partitions_list()]


def _old_month_with_an_event():
    month = add_months(month_start(timezone.now()), -3)
    event_partitions_ensure(months_ahead=0, now=month)
    EventFactory(occurred_at=month + timedelta(days=1))
    return month


@sqlite_only
def test_on_sqlite_the_command_says_there_are_no_partitions(english):
    assert _run("list") == (
        "The event table is not partitioned (partitions exist only on PostgreSQL).\n"
    )


@sqlite_only
def test_on_sqlite_a_detach_fails(town, platform_admin, english):
    with pytest.raises(CommandError) as refused:
        _run("detach", "--older-than", "2", "--by", platform_admin.username)

    assert refused.value.returncode == 1
    assert not AuditEntry.objects.filter(action="sensing.event_partition_detach").exists()


@postgresql_only
def test_list_names_this_months_partition_and_the_default_last(english):
    lines = _run("list").splitlines()

    this_month = month_start(timezone.now())
    assert lines[-1].startswith("sensing_event_default\tdefault\t~")
    assert any(
        line.startswith(f"{partition_name(this_month)}\t{this_month:%Y-%m}\t") for line in lines
    )


@postgresql_only
def test_ensure_creates_the_months_ahead_once(english):
    first = _run("ensure", "--months-ahead", "5")
    second = _run("ensure", "--months-ahead", "5")

    last = add_months(month_start(timezone.now()), 5)
    assert partition_name(last) in _attached()
    assert f"created {partition_name(last)}" in first
    assert second == "0 partitions created.\n"


@postgresql_only
def test_detach_older_than_takes_out_the_old_months_in_the_administrators_name(
    town, platform_admin, english
):
    month = _old_month_with_an_event()

    out = _run("detach", "--older-than", "2", "--by", platform_admin.username)

    assert f"detached {partition_name(month)}" in out
    assert partition_name(month) not in _attached()
    assert partition_name(add_months(month_start(timezone.now()), -1)) not in out
    assert Event.objects.count() == 0
    entry = AuditEntry.objects.get(action="sensing.event_partition_detach")
    assert (entry.actor_id, entry.object_id) == (platform_admin.pk, partition_name(month))


@postgresql_only
def test_a_dry_run_detaches_nothing(town, platform_admin, english):
    month = _old_month_with_an_event()

    out = _run("detach", "--older-than", "2", "--by", platform_admin.username, "--dry-run")

    assert f"would detach {partition_name(month)}" in out
    assert partition_name(month) in _attached()
    assert Event.objects.count() == 1


@postgresql_only
def test_only_a_platform_administrator_may_detach_from_the_command(town, make_member, english):
    month = _old_month_with_an_event()
    worker = make_member(Role.GRID_WORKER, town.grid_a, "worker")

    with pytest.raises(CommandError):
        _run("detach", "--older-than", "2", "--by", worker.username)

    assert partition_name(month) in _attached()
    assert Event.objects.count() == 1


@postgresql_only
def test_the_month_in_progress_is_never_a_candidate(town, platform_admin, english):
    with pytest.raises(CommandError):
        _run("detach", "--older-than", "0", "--by", platform_admin.username)

    assert partition_name(month_start(timezone.now())) in _attached()
