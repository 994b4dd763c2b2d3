"""The periodic jobs: wired into the schedule, and safe across a restart of the worker."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from gridgov.cases.models import CaseEvent, Status
from gridgov.cases.services import case_dispatch, case_resolve, case_start
from gridgov.cases.tasks import close_unrated, deliver_notifications, scan_deadlines
from gridgov.cases.tests.helpers_engine import World, report, world_fixture  # noqa: F401
from gridgov.config.celery import app
from gridgov.core.models import Notification
from gridgov.core.scheduler import EmbeddedScheduler

pytestmark = pytest.mark.django_db

CASE_JOBS = {
    "cases-scan-deadlines": "gridgov.cases.tasks.scan_deadlines",
    "cases-close-unrated": "gridgov.cases.tasks.close_unrated",
    "cases-deliver-notifications": "gridgov.cases.tasks.deliver_notifications",
}


def test_the_jobs_are_scheduled_and_registered() -> None:
    for name, task in CASE_JOBS.items():
        assert settings.CELERY_BEAT_SCHEDULE[name]["task"] == task
        assert task in app.tasks


def test_a_restarted_worker_neither_repeats_nor_loses_a_reminder(world: World) -> None:
    started = timezone.now() - datetime.timedelta(hours=2)
    # Illegal parking: accept within 1 hour (passed), resolve within 4 hours (2 left).
    case = report(world, category="illegal-parking", description="占道停车", now=started)
    schedule = {name: settings.CELERY_BEAT_SCHEDULE[name] for name in CASE_JOBS}
    first = EmbeddedScheduler(schedule=schedule, instance_id="serve-1")
    outcomes = first.tick()
    assert all(outcome.succeeded for outcome in outcomes)
    # The process is restarted and ticks again at once: its slots are booked, nothing reruns.
    second = EmbeddedScheduler(schedule=schedule, instance_id="serve-2")
    assert second.tick() == []
    # A job run by hand as well (a second worker) changes nothing either.
    assert scan_deadlines.apply().get() == 0
    events = case.events.values_list("action", flat=True)
    assert list(events).count(CaseEvent.Action.OVERDUE) == 1
    # The resolve deadline is two hours away: reminded once (the accept deadline had passed).
    assert list(events).count(CaseEvent.Action.REMINDED) == 1


def test_tasks_close_and_deliver(world: World) -> None:
    long_ago = timezone.now() - datetime.timedelta(days=30)
    case = report(world, now=long_ago)
    case_dispatch(actor=world.operator, case_id=case.pk, department_id=world.urban.pk, now=long_ago)
    case_start(actor=world.handler, case_id=case.pk, now=long_ago)
    case_resolve(actor=world.handler, case_id=case.pk, note="已修复", now=long_ago)
    assert deliver_notifications.apply().get() == 1  # the SMS to the reporter
    assert Notification.objects.get(channel="sms").status == Notification.Status.SENT
    assert close_unrated.apply().get() == 1
    case.refresh_from_db()
    assert case.status == Status.CLOSED
