"""Deadlines on the real calendar, reminders, overdue flags, escalation, late summonses."""

from __future__ import annotations

import datetime

import pytest

from gridgov.cases.models import Case, CaseEvent, Status
from gridgov.cases.services import (
    case_dispatch,
    case_start,
    case_suspend,
    case_whistle,
    deadline_scan,
    due_at,
    whistle_report_in,
)
from gridgov.cases.tests.helpers_engine import World, category, local, report, world_fixture  # noqa: F401
from gridgov.core.models import CalendarOverride, Notification

pytestmark = pytest.mark.django_db


def test_deadlines_across_national_day(world: World) -> None:
    # Street light: accept within 2 hours, resolve within 5 working days.
    case = report(world, now=local(2025, 9, 30, 16, 0))
    assert case.accept_due_at == local(2025, 9, 30, 18, 0)
    # 9, 10, 11 (make-up Saturday), 13, 14 October.
    assert case.resolve_due_at == local(2025, 10, 14, 16, 0)
    # Filed on Saturday 27 September: the count starts at Sunday 28 (a make-up day).
    weekend = report(world, now=local(2025, 9, 27, 11, 0))
    # 29, 30 September, 9, 10, 11 October.
    assert weekend.resolve_due_at == local(2025, 10, 11, 0, 0)


def test_the_local_override_moves_deadlines(world: World) -> None:
    CalendarOverride.objects.create(day=datetime.date(2025, 10, 9), is_working_day=False)
    case = report(world, now=local(2025, 9, 30, 16, 0))
    assert case.resolve_due_at == local(2025, 10, 15, 16, 0)
    assert due_at(local(2025, 9, 30, 16, 0), 3, "hours") == local(2025, 9, 30, 19, 0)
    with pytest.raises(ValueError, match="unknown deadline unit"):
        due_at(local(2025, 9, 30, 16, 0), 3, "fortnights")


def test_scan_twice_reminds_once(world: World) -> None:
    case = report(world, now=local(2025, 9, 22, 10, 0))
    case_dispatch(
        actor=world.operator,
        case_id=case.pk,
        department_id=world.urban.pk,
        assignee_id=world.handler.pk,
        now=local(2025, 9, 22, 10, 5),
    )
    # Due Sunday 28 September 10:00 (a make-up working day); four hours before, the reminder.
    assert Case.objects.get(pk=case.pk).resolve_due_at == local(2025, 9, 28, 10, 0)
    first = deadline_scan(now=local(2025, 9, 28, 7, 0))
    second = deadline_scan(now=local(2025, 9, 28, 7, 1))
    assert first.resolve_reminders == 1
    assert second.resolve_reminders == 0
    assert case.events.filter(action=CaseEvent.Action.REMINDED).count() == 1
    reminders = Notification.objects.filter(recipient=world.handler, subject__contains="due soon")
    assert reminders.count() <= 1
    assert Notification.objects.filter(recipient=world.handler).count() == 2  # new work + reminder


def test_accept_reminder_then_overdue_then_escalation_once(world: World, settings) -> None:
    settings.GRIDGOV_CASE_REMIND_BEFORE_HOURS = 1
    case = report(world, now=local(2025, 9, 22, 10, 0))  # accept by 12:00
    result = deadline_scan(now=local(2025, 9, 22, 10, 30))
    assert result.accept_reminders == 0  # not in the window yet (one hour before 12:00)
    result = deadline_scan(now=local(2025, 9, 22, 11, 0))
    assert result.accept_reminders == 1
    late = deadline_scan(now=local(2025, 9, 22, 12, 30))
    assert late.accept_overdue == 1
    assert late.escalated == 1
    again = deadline_scan(now=local(2025, 9, 22, 12, 35))
    assert again.accept_overdue == 0
    assert again.escalated == 0
    case.refresh_from_db()
    assert case.is_overdue
    assert case.overdue_at == local(2025, 9, 22, 12, 30)
    assert case.handling_cell == world.town.grid_a
    assert case.escalation_count == 1
    assert case.events.filter(action=CaseEvent.Action.OVERDUE).count() == 1
    assert case.events.filter(action=CaseEvent.Action.ESCALATED).count() == 1


def test_escalation_of_overdue_cases_can_be_switched_off(world: World, settings) -> None:
    settings.GRIDGOV_CASE_ESCALATE_OVERDUE = False
    case = report(world, now=local(2025, 9, 22, 10, 0))
    result = deadline_scan(now=local(2025, 9, 22, 13, 0))
    assert result.accept_overdue == 1
    assert result.escalated == 0
    case.refresh_from_db()
    assert case.handling_cell == world.town.micro_a1


def test_resolve_overdue_after_a_timely_acceptance(world: World) -> None:
    case = report(world, now=local(2025, 9, 22, 10, 0))
    case_dispatch(
        actor=world.operator,
        case_id=case.pk,
        department_id=world.urban.pk,
        now=local(2025, 9, 22, 10, 30),
    )
    case_start(actor=world.handler, case_id=case.pk, now=local(2025, 9, 22, 11, 0))
    result = deadline_scan(now=local(2025, 9, 28, 10, 1))
    assert result.resolve_overdue == 1
    assert result.accept_overdue == 0
    case.refresh_from_db()
    assert case.is_overdue
    assert not case.accepted_late


def test_suspended_cases_do_not_fall_overdue_and_resume_at_their_limit(world: World) -> None:
    case = report(world, now=local(2025, 9, 22, 10, 0))
    case_dispatch(
        actor=world.operator,
        case_id=case.pk,
        department_id=world.urban.pk,
        now=local(2025, 9, 22, 10, 30),
    )
    case_suspend(
        actor=world.handler,
        case_id=case.pk,
        reason="等待电力公司",
        until=local(2025, 9, 30, 10, 0),
        now=local(2025, 9, 22, 11, 0),
    )
    result = deadline_scan(now=local(2025, 9, 29, 12, 0))
    assert result.resolve_overdue == 0
    assert result.accept_overdue == 0
    result = deadline_scan(now=local(2025, 9, 30, 10, 5))
    assert result.resumed == 1
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    # The clock stopped while the case was suspended: the deadline moves by that long.
    paused = local(2025, 9, 30, 10, 5) - local(2025, 9, 22, 11, 0)
    assert case.resolve_due_at == local(2025, 9, 28, 10, 0) + paused


def test_late_whistle_summons_is_flagged_once(world: World) -> None:
    case = report(world, now=local(2025, 9, 22, 10, 0))
    whistle = case_whistle(
        actor=world.operator,
        case_id=case.pk,
        department_ids=[world.urban.pk, world.fire.pk],
        lead_department_id=world.urban.pk,
        reason="多部门联合处置",
        report_within_minutes=30,
        now=local(2025, 9, 22, 10, 5),
    )
    urban = whistle.summonses.get(department=world.urban)
    whistle_report_in(
        actor=world.handler, summons_id=urban.pk, note="已到场", now=local(2025, 9, 22, 10, 20)
    )
    first = deadline_scan(now=local(2025, 9, 22, 10, 40))
    second = deadline_scan(now=local(2025, 9, 22, 10, 45))
    assert first.late_summonses == 1
    assert second.late_summonses == 0
    fire = whistle.summonses.get(department=world.fire)
    assert fire.late_flagged_at is not None
    assert whistle.summonses.get(department=world.urban).late_flagged_at is None


def test_the_scan_reads_only_the_window(world: World, django_assert_max_num_queries) -> None:
    for hour in range(10):
        report(world, now=local(2025, 9, 22, 8 + hour, 0))
    deadline_scan(now=local(2025, 9, 22, 9, 0))
    with django_assert_max_num_queries(12):
        deadline_scan(now=local(2025, 9, 22, 9, 1))  # nothing new: a handful of range queries
    assert Case.objects.filter(category=category("street-light")).count() == 10
