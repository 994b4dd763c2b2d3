"""Deadlines on the real calendar, reminders before them, and what happens when they pass.

``deadline_scan`` runs every few minutes (DESIGN D4). Each reminder, overdue flag, escalation
and late summons is claimed by one conditional ``UPDATE`` of the row (``… WHERE reminded_at IS
NULL``), so that a second run, a restarted worker or a second process neither repeats nor
loses one. The scan reads only the rows whose deadline lies in the window, through the
``(status, due)`` indexes, however many cases there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction

from gridgov.cases.models import (
    RUNNING_STATUSES,
    Case,
    CaseEvent,
    Category,
    DeadlineUnit,
    Status,
    WhistleSummons,
)
from gridgov.cases.services import notices
from gridgov.cases.services.steps import audit_case, event_add, now_or
from gridgov.core.workdays import add_working_days

SCAN_BATCH = 500


def due_at(start: datetime, amount: int, unit: str) -> datetime:
    """``start`` plus ``amount`` hours (calendar) or working days (official calendar)."""
    if unit == DeadlineUnit.WORKING_DAYS:
        return add_working_days(start, amount)
    if unit == DeadlineUnit.HOURS:
        return start + timedelta(hours=amount)
    raise ValueError(f"unknown deadline unit {unit!r}")


def deadlines_for(category: Category, start: datetime) -> tuple[datetime, datetime]:
    """(accept by, resolve by) of a case of ``category`` reported at ``start``."""
    return (
        due_at(start, category.accept_within, category.accept_unit),
        due_at(start, category.resolve_within, category.resolve_unit),
    )


def remind_before() -> timedelta:
    return timedelta(hours=int(getattr(settings, "GRIDGOV_CASE_REMIND_BEFORE_HOURS", 4)))


@dataclass
class DeadlineScanResult:
    accept_reminders: int = 0
    resolve_reminders: int = 0
    accept_overdue: int = 0
    resolve_overdue: int = 0
    escalated: int = 0
    late_summonses: int = 0
    resumed: int = 0

    @property
    def total(self) -> int:
        return (
            self.accept_reminders
            + self.resolve_reminders
            + self.accept_overdue
            + self.resolve_overdue
            + self.late_summonses
            + self.resumed
        )


def _claim(case_id: int, flag: str, condition: dict[str, Any], values: dict[str, Any]) -> bool:
    return (
        Case.objects.filter(pk=case_id, **{f"{flag}__isnull": True}, **condition).update(**values)
        == 1
    )


def _remind(now: datetime, result: DeadlineScanResult) -> None:
    window_end = now + remind_before()
    kinds = (
        ("accept", "accept_due_at", "accept_reminded_at", (Status.NEW,)),
        ("resolve", "resolve_due_at", "resolve_reminded_at", RUNNING_STATUSES),
    )
    for kind, due_field, flag, statuses in kinds:
        candidates = list(
            Case.objects.filter(
                status__in=statuses,
                **{
                    f"{due_field}__gt": now,
                    f"{due_field}__lte": window_end,
                    f"{flag}__isnull": True,
                },
            )
            .order_by(due_field)
            .values_list("pk", due_field)[:SCAN_BATCH]
        )
        for case_id, due in candidates:
            with transaction.atomic():
                if not _claim(case_id, flag, {due_field: due}, {flag: now}):
                    continue
                case = Case.objects.select_related("handling_cell").get(pk=case_id)
                event_add(
                    case=case,
                    actor=None,
                    action=CaseEvent.Action.REMINDED,
                    at=now,
                    data={"deadline": kind, "due": due.isoformat()},
                )
                notices.tell_reminder(case, deadline=kind, due=due.isoformat())
            if kind == "accept":
                result.accept_reminders += 1
            else:
                result.resolve_reminders += 1


def _escalate_overdue(case: Case, now: datetime) -> bool:
    parent = case.handling_cell.parent
    if parent is None:
        return False
    updated = Case.objects.filter(pk=case.pk, handling_cell_id=case.handling_cell_id).update(
        handling_cell=parent,
        escalation_count=models.F("escalation_count") + 1,
        version=models.F("version") + 1,
    )
    if updated != 1:
        return False
    event_add(
        case=case,
        actor=None,
        action=CaseEvent.Action.ESCALATED,
        at=now,
        note="",
        data={"from_cell": case.handling_cell.code, "to_cell": parent.code, "automatic": True},
    )
    audit_case(
        actor=None,
        action="escalate",
        case=case,
        changes={"to_cell": parent.code, "automatic": True},
    )
    return True


def _overdue(now: datetime, result: DeadlineScanResult) -> None:
    escalate = bool(getattr(settings, "GRIDGOV_CASE_ESCALATE_OVERDUE", True))
    kinds = (
        ("accept", "accept_due_at", (Status.NEW,)),
        ("resolve", "resolve_due_at", RUNNING_STATUSES),
    )
    for kind, due_field, statuses in kinds:
        candidates = list(
            Case.objects.filter(status__in=statuses, is_overdue=False, **{f"{due_field}__lte": now})
            .order_by(due_field)
            .values_list("pk", due_field)[:SCAN_BATCH]
        )
        for case_id, due in candidates:
            with transaction.atomic():
                claimed = Case.objects.filter(
                    pk=case_id, is_overdue=False, status__in=statuses, **{due_field: due}
                ).update(is_overdue=True, overdue_at=now)
                if claimed != 1:
                    continue
                case = Case.objects.select_related("handling_cell__parent").get(pk=case_id)
                event_add(
                    case=case,
                    actor=None,
                    action=CaseEvent.Action.OVERDUE,
                    at=now,
                    data={"deadline": kind, "due": due.isoformat()},
                )
                notices.tell_late(case, deadline=kind, stamp=due.isoformat())
                if escalate and _escalate_overdue(case, now):
                    result.escalated += 1
            if kind == "accept":
                result.accept_overdue += 1
            else:
                result.resolve_overdue += 1


def _late_summonses(now: datetime, result: DeadlineScanResult) -> None:
    candidates = list(
        WhistleSummons.objects.filter(
            reported_at__isnull=True,
            late_flagged_at__isnull=True,
            whistle__report_due_at__lte=now,
        )
        .select_related("whistle__case", "department")
        .order_by("id")[:SCAN_BATCH]
    )
    for summons in candidates:
        with transaction.atomic():
            claimed = WhistleSummons.objects.filter(
                pk=summons.pk, reported_at__isnull=True, late_flagged_at__isnull=True
            ).update(late_flagged_at=now)
            if claimed != 1:
                continue
            event_add(
                case=summons.whistle.case,
                actor=None,
                action=CaseEvent.Action.OVERDUE,
                at=now,
                data={"deadline": "report_in", "department": summons.department.name},
            )
        result.late_summonses += 1


def _resume_expired_suspensions(now: datetime, result: DeadlineScanResult) -> None:
    from gridgov.cases.services.lifecycle import resume_after_suspension

    candidates = list(
        Case.objects.filter(status=Status.SUSPENDED, suspended_until__lte=now)
        .order_by("suspended_until")
        .values_list("pk", flat=True)[:SCAN_BATCH]
    )
    for case_id in candidates:
        if resume_after_suspension(case_id=case_id, now=now):
            result.resumed += 1


def deadline_scan(*, now: datetime | None = None) -> DeadlineScanResult:
    """Reminders before deadlines, overdue flags (with escalation), late summonses, and
    suspensions whose time limit has passed. Safe to run at any time, any number of times."""
    now = now_or(now)
    result = DeadlineScanResult()
    _resume_expired_suspensions(now, result)
    _remind(now, result)
    _overdue(now, result)
    _late_summonses(now, result)
    return result
