"""The life of a case as an explicit state machine.

    new → accepted → dispatched → in progress → resolved → closed
    returned (wrong department) · reopened (resident dissatisfied) · suspended (waiting for a
    third party, with a time limit) · merged (duplicate of another case)

``TRANSITIONS`` is the whole machine: action → (statuses it may start from, status it leads
to). Every step is one guarded ``UPDATE`` (see ``steps.guarded_update``), one timeline entry
and one audit row, in one transaction; a step the machine does not allow is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Organization, User
from gridgov.cases.models import Case, CaseEvent, Status
from gridgov.cases.services import notices, policy
from gridgov.cases.services.attachments import Upload, attachments_store, uploads_check
from gridgov.cases.services.errors import (
    IllegalTransitionError,
    MissingFieldError,
    NotAllowedError,
)
from gridgov.cases.services.steps import (
    audit_case,
    case_load,
    event_add,
    guarded_update,
    now_or,
)

# The status a resumed case returns to is the one it had when it was suspended.
PREVIOUS_STATUS = ""

_WORKING: frozenset[str] = frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS})
_OPEN: frozenset[str] = frozenset(
    {
        Status.NEW,
        Status.ACCEPTED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.RETURNED,
        Status.SUSPENDED,
    }
)

TRANSITIONS: Mapping[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({Status.NEW}), Status.ACCEPTED),
    "dispatch": (
        frozenset({Status.NEW, Status.ACCEPTED, Status.RETURNED, Status.DISPATCHED}),
        Status.DISPATCHED,
    ),
    "grab": (frozenset({Status.NEW, Status.ACCEPTED, Status.RETURNED}), Status.DISPATCHED),
    # A handler of the department a case was routed to may take an accepted case on at once.
    "start": (frozenset({Status.ACCEPTED, Status.DISPATCHED}), Status.IN_PROGRESS),
    "resolve": (frozenset({Status.IN_PROGRESS}), Status.RESOLVED),
    "return": (frozenset({Status.DISPATCHED, Status.IN_PROGRESS}), Status.RETURNED),
    "reopen": (frozenset({Status.RESOLVED, Status.CLOSED}), Status.DISPATCHED),
    "suspend": (frozenset(_WORKING), Status.SUSPENDED),
    "resume": (frozenset({Status.SUSPENDED}), PREVIOUS_STATUS),
    "merge": (frozenset(_OPEN), Status.MERGED),
    "close": (frozenset({Status.RESOLVED}), Status.CLOSED),
}

# Steps that do not move the status, and the statuses they are open in.
OTHER_ACTIONS: Mapping[str, frozenset[str]] = {
    "escalate": frozenset(_OPEN - {Status.SUSPENDED}),
    "whistle": frozenset(_OPEN - {Status.SUSPENDED}),
    "squad": frozenset(_OPEN),
    "comment": frozenset(Status.values),
    "rate": frozenset({Status.RESOLVED, Status.CLOSED}),
    "callback": frozenset({Status.RESOLVED, Status.CLOSED}),
}


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowedError()


def _visible_case(actor: Any, case_id: int) -> Case:
    from gridgov.cases.services.errors import CaseNotFoundError

    case = case_load(case_id)
    if not policy.can_view(actor, case) and not policy.can_handle(actor, case):
        raise CaseNotFoundError()
    return case


def _step(
    *,
    actor: Any,
    case: Case,
    action: str,
    event_action: str,
    now: datetime,
    expected_version: int | None,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    to_status: str | None = None,
    **fields: Any,
) -> Case:
    from_statuses, target = TRANSITIONS[action]
    target = to_status if to_status is not None else target
    before = case.status
    guarded_update(
        case=case,
        from_statuses=from_statuses,
        now=now,
        expected_version=expected_version,
        status=target,
        **fields,
    )
    event_add(
        case=case,
        actor=actor,
        action=event_action,
        at=now,
        note=note,
        from_status=before,
        to_status=target,
        data=data,
    )
    audit_case(
        actor=actor,
        action=action,
        case=case,
        changes={"status": [before, target], **dict((data or {}).items())},
    )
    return case


def _check_note(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise MissingFieldError(_("Give the reason."), code=field)
    return text


@transaction.atomic
def case_accept(
    *,
    actor: Any,
    case_id: int,
    expected_version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_handle(actor, case))
    late = bool(case.accept_due_at and now > case.accept_due_at)
    return _step(
        actor=actor,
        case=case,
        action="accept",
        event_action=CaseEvent.Action.ACCEPTED,
        now=now,
        expected_version=expected_version,
        note=note,
        accepted_at=now,
        accepted_late=late,
        is_overdue=False,
        overdue_at=None,
    )


def _department(department_id: int) -> Organization:
    department = Organization.objects.filter(
        pk=department_id,
        is_active=True,
        kind__in=[
            Organization.Kind.DEPARTMENT,
            Organization.Kind.PROPERTY_COMPANY,
            Organization.Kind.COMMITTEE,
            Organization.Kind.OPERATIONS_CENTRE,
        ],
    ).first()
    if department is None:
        raise MissingFieldError(_("Unknown department."), code="department")
    return department


@transaction.atomic
def case_dispatch(
    *,
    actor: Any,
    case_id: int,
    department_id: int | None = None,
    assignee_id: int | None = None,
    expected_version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """Send the case to a department (and/or a named handler). Accepts it on the way when new."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_dispatch(actor, case))
    fields: dict[str, Any] = {}
    data: dict[str, Any] = {}
    if department_id is not None:
        department = _department(department_id)
        if department.kind == Organization.Kind.PROPERTY_COMPANY:
            fields["property_company"] = department
        else:
            fields["department"] = department
            fields["property_company"] = None
        data["department"] = department.name
    if assignee_id is not None:
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None:
            raise MissingFieldError(_("Unknown handler."), code="assignee")
        fields["assignee"] = assignee
        data["assignee"] = assignee.get_username()
    elif department_id is not None:
        fields["assignee"] = None
    routed_to = (
        fields.get("department", case.department),
        fields.get("property_company", case.property_company),
        fields.get("assignee", case.assignee),
    )
    if all(item is None for item in routed_to):
        raise MissingFieldError(_("Choose the department or the handler."), code="department")
    if case.status == Status.NEW:
        fields.setdefault("accepted_at", now)
        fields["accepted_late"] = bool(case.accept_due_at and now > case.accept_due_at)
        fields["is_overdue"] = False
        fields["overdue_at"] = None
    result = _step(
        actor=actor,
        case=case,
        action="dispatch",
        event_action=CaseEvent.Action.DISPATCHED,
        now=now,
        expected_version=expected_version,
        note=note,
        data=data,
        **fields,
    )
    notices.tell_new_work(result, reason="dispatch")
    return result


@transaction.atomic
def case_grab(
    *, actor: Any, case_id: int, expected_version: int | None = None, now: datetime | None = None
) -> Case:
    """抢单: property staff take an open property matter in one of their company's estates."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_grab(actor, case))
    if case.assignee_id is not None and case.status != Status.RETURNED:
        raise IllegalTransitionError(_("Someone already handles this case."), code="already_taken")
    if case.estate is None:  # can_grab has checked it; this narrows the type
        raise NotAllowedError()
    fields: dict[str, Any] = {
        "assignee": actor,
        "property_company_id": case.estate.property_company_id,
    }
    if case.status == Status.NEW:
        fields["accepted_at"] = now
        fields["accepted_late"] = bool(case.accept_due_at and now > case.accept_due_at)
        fields["is_overdue"] = False
        fields["overdue_at"] = None
    return _step(
        actor=actor,
        case=case,
        action="grab",
        event_action=CaseEvent.Action.GRABBED,
        now=now,
        expected_version=expected_version,
        data={"property_company": case.estate.property_company_id},
        **fields,
    )


@transaction.atomic
def case_start(
    *,
    actor: Any,
    case_id: int,
    expected_version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_handle(actor, case))
    fields: dict[str, Any] = {}
    if case.assignee_id is None and getattr(actor, "pk", None):
        fields["assignee"] = actor
    return _step(
        actor=actor,
        case=case,
        action="start",
        event_action=CaseEvent.Action.STARTED,
        now=now,
        expected_version=expected_version,
        note=note,
        **fields,
    )


@transaction.atomic
def case_resolve(
    *,
    actor: Any,
    case_id: int,
    note: str,
    uploads: Sequence[Upload] = (),
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Done, with evidence: a note always, a photo when the category requires one."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_handle(actor, case))
    text = (note or "").strip()
    if not text:
        raise MissingFieldError(_("Describe what was done."), code="note")
    checked = uploads_check(uploads)
    if case.category.requires_photo and not any(item.kind == "photo" for item in checked):
        raise MissingFieldError(
            _("This category needs a photo of the result as evidence."), code="photo"
        )
    late = bool(case.resolve_due_at and now > case.resolve_due_at)
    result = _step(
        actor=actor,
        case=case,
        action="resolve",
        event_action=CaseEvent.Action.RESOLVED,
        now=now,
        expected_version=expected_version,
        note=text,
        resolved_at=now,
        resolved_late=late,
        is_overdue=False,
    )
    event = result.events.filter(action=CaseEvent.Action.RESOLVED).order_by("-id").first()
    attachments_store(checked, actor=actor, now=now, case=result, event=event)
    notices.tell_resolved(result)
    return result


@transaction.atomic
def case_return(
    *,
    actor: Any,
    case_id: int,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """The handler says the case is not theirs (wrong department); the centre routes it again."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_handle(actor, case))
    text = _check_note(reason, "reason")
    return _step(
        actor=actor,
        case=case,
        action="return",
        event_action=CaseEvent.Action.RETURNED,
        now=now,
        expected_version=expected_version,
        note=text,
        data={"department": case.department.name if case.department else ""},
        assignee=None,
    )


def _reopen(
    *, actor: Any, case: Case, reason: str, now: datetime, expected_version: int | None
) -> Case:
    from gridgov.cases.services.deadlines import due_at

    resolve_due = due_at(now, case.category.resolve_within, case.category.resolve_unit)
    return _step(
        actor=actor,
        case=case,
        action="reopen",
        event_action=CaseEvent.Action.REOPENED,
        now=now,
        expected_version=expected_version,
        note=reason,
        reopen_count=models.F("reopen_count") + 1,
        resolved_at=None,
        resolved_late=False,
        closed_at=None,
        resolve_due_at=resolve_due,
        resolve_reminded_at=None,
        is_overdue=False,
        overdue_at=None,
    )


@transaction.atomic
def case_reopen(
    *,
    actor: Any,
    case_id: int,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_dispatch(actor, case))
    text = _check_note(reason, "reason")
    result = _reopen(
        actor=actor, case=case, reason=text, now=now, expected_version=expected_version
    )
    notices.tell_new_work(result, reason="reopen")
    return result


@transaction.atomic
def case_suspend(
    *,
    actor: Any,
    case_id: int,
    reason: str,
    until: datetime,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Wait for a third party, until a time limit; the resolve clock stops meanwhile."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_handle(actor, case))
    text = _check_note(reason, "reason")
    if until is None or until <= now:
        raise MissingFieldError(_("The time limit must lie in the future."), code="until")
    return _step(
        actor=actor,
        case=case,
        action="suspend",
        event_action=CaseEvent.Action.SUSPENDED,
        now=now,
        expected_version=expected_version,
        note=text,
        data={"until": until.isoformat()},
        suspended_until=until,
        status_before_suspension=case.status,
    )


def _resume(
    *, actor: Any, case: Case, note: str, now: datetime, expected_version: int | None
) -> Case:
    previous = case.status_before_suspension or Status.IN_PROGRESS
    started = (
        case.events.filter(action=CaseEvent.Action.SUSPENDED)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    fields: dict[str, Any] = {"suspended_until": None, "status_before_suspension": ""}
    if started is not None and case.resolve_due_at is not None:
        paused = max(now - started, timedelta(0))
        fields["resolve_due_at"] = case.resolve_due_at + paused
        fields["resolve_reminded_at"] = None
    return _step(
        actor=actor,
        case=case,
        action="resume",
        event_action=CaseEvent.Action.RESUMED,
        now=now,
        expected_version=expected_version,
        note=note,
        to_status=previous,
        **fields,
    )


@transaction.atomic
def case_resume(
    *,
    actor: Any,
    case_id: int,
    expected_version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_handle(actor, case))
    return _resume(actor=actor, case=case, note=note, now=now, expected_version=expected_version)


def resume_after_suspension(*, case_id: int, now: datetime) -> bool:
    """The time limit of a suspension has passed: the case goes back to work by itself."""
    from gridgov.cases.services.errors import CaseError

    try:
        with transaction.atomic():
            case = case_load(case_id)
            if (
                case.status != Status.SUSPENDED
                or not case.suspended_until
                or case.suspended_until > now
            ):
                return False
            _resume(
                actor=None,
                case=case,
                note=str(_("The time limit of the suspension has passed.")),
                now=now,
                expected_version=case.version,
            )
    except CaseError:
        return False
    return True


@transaction.atomic
def case_merge(
    *,
    actor: Any,
    case_id: int,
    into_case_id: int,
    expected_version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """The case repeats another one: it ends as ``merged`` and points at the one kept."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_dispatch(actor, case))
    if into_case_id == case.pk:
        raise IllegalTransitionError(_("A case cannot be merged into itself."), code="merge_self")
    target = _visible_case(actor, into_case_id)
    if target.status in {Status.MERGED, Status.CLOSED}:
        raise IllegalTransitionError(
            _("The case to keep must not be closed or merged itself."), code="merge_target"
        )
    result = _step(
        actor=actor,
        case=case,
        action="merge",
        event_action=CaseEvent.Action.MERGED,
        now=now,
        expected_version=expected_version,
        note=note,
        data={"into": target.number},
        merged_into=target,
        is_overdue=False,
        closed_at=now,
    )
    event_add(
        case=target,
        actor=actor,
        action=CaseEvent.Action.COMMENTED,
        at=now,
        note=note,
        data={"merged_from": case.number},
    )
    return result


@transaction.atomic
def case_close(
    *,
    actor: Any,
    case_id: int,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    now = now_or(now)
    case = _visible_case(actor, case_id)
    _require(policy.can_dispatch(actor, case))
    return _step(
        actor=actor,
        case=case,
        action="close",
        event_action=CaseEvent.Action.CLOSED,
        now=now,
        expected_version=expected_version,
        note=note,
        closed_at=now,
    )


@transaction.atomic
def case_comment(
    *,
    actor: Any,
    case_id: int,
    note: str,
    uploads: Sequence[Upload] = (),
    now: datetime | None = None,
) -> CaseEvent:
    """A note (with photos or recordings) on the timeline, by anyone who may see the case."""
    now = now_or(now)
    case = _visible_case(actor, case_id)
    text = (note or "").strip()
    checked = uploads_check(uploads)
    if not text and not checked:
        raise MissingFieldError(_("Write a note or attach a file."), code="note")
    event = event_add(case=case, actor=actor, action=CaseEvent.Action.COMMENTED, at=now, note=text)
    attachments_store(checked, actor=actor, now=now, case=case, event=event)
    audit_case(actor=actor, action="comment", case=case, changes={"files": len(checked)})
    return event


def _can_record_callback(actor: Any, case: Case) -> bool:
    from gridgov.cases.services.closure import can_record_callback

    return can_record_callback(actor, case)


def allowed_actions(*, actor: Any, case: Case) -> list[str]:
    """The steps the actor may take on the case now (pages show a button for each)."""
    if not policy.is_authenticated(actor):
        return []
    handle = policy.can_handle(actor, case)
    dispatch = policy.can_dispatch(actor, case)
    view = handle or policy.can_view(actor, case)
    may: dict[str, bool] = {
        "accept": handle,
        "dispatch": dispatch,
        "grab": policy.can_grab(actor, case)
        and (case.assignee_id is None or case.status == Status.RETURNED),
        "start": handle,
        "resolve": handle,
        "return": handle,
        "reopen": dispatch,
        "suspend": handle,
        "resume": handle,
        "merge": dispatch,
        "close": dispatch,
        "escalate": handle and case.handling_cell.parent_id is not None,
        "whistle": dispatch,
        "squad": dispatch or handle,
        "comment": view,
        "rate": case.reporter_id == actor.pk and case.rating is None,
        "callback": _can_record_callback(actor, case),
    }
    actions: list[str] = []
    for action, allowed in may.items():
        if not allowed:
            continue
        statuses = TRANSITIONS[action][0] if action in TRANSITIONS else OTHER_ACTIONS[action]
        if case.status in statuses:
            actions.append(action)
    return actions
