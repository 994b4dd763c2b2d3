"""Levels and the whistle (吹哨报到): a case is handled at the lowest level that can.

``case_escalate`` hands it to the parent cell when the handler says it cannot be solved here
(the deadline scan does the same when a deadline passes). ``case_whistle`` summons several
departments at once, one leading; each must report in (报到) within a time limit.
``squad_add_member`` records the joint squad gathered for the case (因事聚人).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Organization, User
from gridgov.accounts.roles import Perm
from gridgov.cases.models import Case, CaseEvent, SquadMember, Whistle, WhistleSummons
from gridgov.cases.services import notices, policy
from gridgov.cases.services.errors import (
    ConcurrentChangeError,
    IllegalTransitionError,
    MissingFieldError,
    NotAllowedError,
)
from gridgov.cases.services.lifecycle import OTHER_ACTIONS, _visible_case
from gridgov.cases.services.steps import audit_case, check_version, event_add, now_or

MAX_REPORT_WITHIN_MINUTES = 7 * 24 * 60


def _require_status(case: Case, action: str) -> None:
    if case.status not in OTHER_ACTIONS[action]:
        raise IllegalTransitionError()


@transaction.atomic
def case_escalate(
    *,
    actor: Any,
    case_id: int,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Hand the case up to the parent of the cell now handling it."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    if not policy.can_handle(actor, case):
        raise NotAllowedError()
    _require_status(case, "escalate")
    text = (reason or "").strip()
    if not text:
        raise MissingFieldError(_("Say why it cannot be solved at this level."), code="reason")
    parent = case.handling_cell.parent
    if parent is None:
        raise IllegalTransitionError(
            _("The case is already handled at the highest level."), code="top_level"
        )
    check_version(case, expected_version)
    updated = Case.objects.filter(
        pk=case.pk, version=case.version, status__in=list(OTHER_ACTIONS["escalate"])
    ).update(
        handling_cell=parent,
        escalation_count=models.F("escalation_count") + 1,
        version=models.F("version") + 1,
        updated_at=now,
    )
    if updated != 1:
        raise ConcurrentChangeError()
    event_add(
        case=case,
        actor=actor,
        action=CaseEvent.Action.ESCALATED,
        at=now,
        note=text,
        data={"from_cell": case.handling_cell.code, "to_cell": parent.code, "automatic": False},
    )
    audit_case(actor=actor, action="escalate", case=case, changes={"to_cell": parent.code})
    case.refresh_from_db()
    return case


@transaction.atomic
def case_whistle(
    *,
    actor: Any,
    case_id: int,
    department_ids: Sequence[int],
    lead_department_id: int,
    reason: str,
    report_within_minutes: int = 30,
    now: datetime | None = None,
) -> Whistle:
    """吹哨: summon departments to the case; each must report in within the time limit."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    if not policy.can_dispatch(actor, case):
        raise NotAllowedError()
    _require_status(case, "whistle")
    text = (reason or "").strip()
    if not text:
        raise MissingFieldError(_("Say why the departments are summoned."), code="reason")
    ids = list(dict.fromkeys([*department_ids, lead_department_id]))
    departments = list(Organization.objects.filter(pk__in=ids, is_active=True))
    if len(departments) != len(ids):
        raise MissingFieldError(_("Unknown department."), code="department_ids")
    if not 1 <= report_within_minutes <= MAX_REPORT_WITHIN_MINUTES:
        raise MissingFieldError(
            _("The time to report in must be between a minute and a week."),
            code="report_within_minutes",
        )
    whistle = Whistle.objects.create(
        case=case,
        called_at=now,
        called_by=actor,
        reason=text,
        lead_department_id=lead_department_id,
        report_due_at=now + timedelta(minutes=report_within_minutes),
    )
    for department in departments:
        WhistleSummons.objects.create(whistle=whistle, department=department)
    Case.objects.filter(pk=case.pk).update(
        is_whistled=True, version=models.F("version") + 1, updated_at=now
    )
    lead = next(item for item in departments if item.pk == lead_department_id)
    event_add(
        case=case,
        actor=actor,
        action=CaseEvent.Action.WHISTLED,
        at=now,
        note=text,
        data={
            "whistle": whistle.pk,
            "departments": [item.name for item in departments],
            "lead": lead.name,
            "report_due_at": whistle.report_due_at.isoformat(),
        },
    )
    audit_case(
        actor=actor,
        action="whistle",
        case=case,
        changes={"departments": [item.code for item in departments], "lead": lead.code},
    )
    case.refresh_from_db()
    for department in departments:
        notices.tell_summoned(case, department_id=department.pk, whistle_id=whistle.pk)
    return whistle


@transaction.atomic
def whistle_report_in(
    *, actor: Any, summons_id: int, note: str = "", now: datetime | None = None
) -> WhistleSummons:
    """报到: a summoned department says it is there (once)."""
    now = now_or(now)
    summons = (
        WhistleSummons.objects.select_related("whistle__case", "department")
        .filter(pk=summons_id)
        .first()
    )
    if summons is None:
        from gridgov.cases.services.errors import CaseNotFoundError

        raise CaseNotFoundError()
    case = _visible_case(actor, summons.whistle.case_id)
    member = summons.department_id in policy.organisations_of(actor, Perm.CASE_HANDLE)
    if not (member or policy.can_dispatch(actor, case)):
        raise NotAllowedError()
    claimed = WhistleSummons.objects.filter(pk=summons.pk, reported_at__isnull=True).update(
        reported_at=now, reported_by=actor, note=(note or "")[:500]
    )
    if claimed != 1:
        raise IllegalTransitionError(_("This department has already reported in."), code="reported")
    late = now > summons.whistle.report_due_at
    event_add(
        case=case,
        actor=actor,
        action=CaseEvent.Action.REPORTED_IN,
        at=now,
        note=note,
        data={"department": summons.department.name, "late": late},
    )
    audit_case(
        actor=actor,
        action="report_in",
        case=case,
        changes={"department": summons.department.code, "late": late},
    )
    summons.refresh_from_db()
    return summons


@transaction.atomic
def squad_add_member(
    *,
    actor: Any,
    case_id: int,
    name: str,
    organization_id: int | None = None,
    user_id: int | None = None,
    role: str = "",
    now: datetime | None = None,
) -> SquadMember:
    """因事聚人: one more member of the joint squad for this case."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    if not (policy.can_dispatch(actor, case) or policy.can_handle(actor, case)):
        raise NotAllowedError()
    _require_status(case, "squad")
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user_id and user is None:
        raise MissingFieldError(_("Unknown user."), code="user_id")
    organization = (
        Organization.objects.filter(pk=organization_id, is_active=True).first()
        if organization_id
        else None
    )
    if organization_id and organization is None:
        raise MissingFieldError(_("Unknown organisation."), code="organization_id")
    label = (name or "").strip() or (
        (user.display_name or user.get_username()) if user is not None else ""
    )
    if not label:
        raise MissingFieldError(_("Give the member's name."), code="name")
    member = SquadMember.objects.create(
        case=case,
        user=user,
        name=label[:64],
        organization=organization,
        role=(role or "").strip()[:64],
        added_at=now,
    )
    first = not SquadMember.objects.filter(case=case).exclude(pk=member.pk).exists()
    event_add(
        case=case,
        actor=actor,
        action=CaseEvent.Action.SQUAD_FORMED,
        at=now,
        note=member.name,
        data={
            "member": member.name,
            "organisation": organization.name if organization else "",
            "role": member.role,
            "first": first,
        },
    )
    audit_case(actor=actor, action="squad_add", case=case, changes={"member": member.pk})
    return member
