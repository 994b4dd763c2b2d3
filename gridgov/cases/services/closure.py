"""Closure: the resident's rating, the callback (回访) for reporters without an account, and
closing what nobody rated in time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.cases.models import Case, CaseEvent, Channel, Status
from gridgov.cases.services import policy
from gridgov.cases.services.errors import (
    CallbackNotAllowedError,
    CaseError,
    MissingFieldError,
    RatingNotAllowedError,
)
from gridgov.cases.services.lifecycle import _reopen
from gridgov.cases.services.steps import (
    actor_label,
    audit_case,
    case_load,
    event_add,
    guarded_update,
    now_or,
)

AUTOCLOSE_BATCH = 1000
REOPEN_AT_MOST = 2
# The channels whose reporter has no account to rate with: staff call them back instead.
CALLBACK_CHANNELS: frozenset[str] = frozenset(
    {Channel.HOTLINE, Channel.VISIT, Channel.OPEN311, Channel.SYSTEM}
)


@transaction.atomic
def case_rate(
    *,
    actor: Any,
    case_id: int,
    rating: int,
    comment: str = "",
    reopen: bool = False,
    now: datetime | None = None,
) -> Case:
    """The reporter rates the resolved case 1–5; it closes, or with a rating ≤ 2 and
    ``reopen`` it goes back to work."""
    now = now_or(now)
    case = case_load(case_id)
    if actor is None or not getattr(actor, "pk", None) or case.reporter_id != actor.pk:
        raise RatingNotAllowedError()
    if case.status not in (Status.RESOLVED, Status.CLOSED) or case.rating is not None:
        raise RatingNotAllowedError(
            _("The case can be rated once, after it is resolved."), code="rating_not_allowed"
        )
    return _rating_record(
        actor=actor,
        case=case,
        rating=rating,
        comment=comment,
        reopen=reopen,
        now=now,
        unsatisfied=_("The resident is not satisfied."),
    )


def callback_refusal(actor: Any, case: Case) -> CaseError | None:
    """Why the actor may not record a callback (回访) for the case now, or ``None``.

    The 12345 hotline practice: after a case is resolved, staff independent of its handling
    call back whoever reported it and record the satisfaction. So: only for cases whose
    reporter has no account to rate with (``CALLBACK_CHANNELS``); only by holders of
    ``cases.record_callback`` (operations-centre operators, community staff) over the case's
    area or the area handling it; never by someone who worked on it (its handler, whoever
    started or resolved it); once, after it is resolved.
    """
    if not policy.is_authenticated(actor) or not any(
        policy.area_roles_scope_covers(actor, Perm.CASE_CALLBACK, code)
        for code in (case.cell.code, case.handling_cell.code)
    ):
        return CallbackNotAllowedError()
    if case.channel not in CALLBACK_CHANNELS:
        return RatingNotAllowedError(
            _(
                "The person who reported this case rates it; callbacks are for calls, visits, "
                "client systems and alarms."
            ),
            code="callback_wrong_channel",
        )
    if (
        case.status not in (Status.RESOLVED, Status.CLOSED)
        or case.resolved_at is None
        or case.rating is not None
    ):
        return RatingNotAllowedError(
            _("A callback can be recorded once, after the case is resolved."),
            code="rating_not_allowed",
        )
    if _worked_on(actor, case):
        return CallbackNotAllowedError(
            _("Whoever worked on the case cannot record its callback; ask a colleague."),
            code="callback_by_handler",
        )
    return None


def can_record_callback(actor: Any, case: Case) -> bool:
    return callback_refusal(actor, case) is None


@transaction.atomic
def case_rate_by_callback(
    *,
    actor: Any,
    case_id: int,
    rating: int,
    comment: str = "",
    reopen: bool = False,
    now: datetime | None = None,
) -> Case:
    """回访: staff record the satisfaction the reporter gave on the phone (满意 … 不满意 as
    1–5) and what they said. The case closes, or with a rating ≤ 2 and ``reopen`` it goes
    back to work — as if the reporter had rated it (see ``callback_refusal`` for who may)."""
    now = now_or(now)
    case = case_load(case_id)
    refusal = callback_refusal(actor, case)
    if refusal is not None:
        raise refusal
    return _rating_record(
        actor=actor,
        case=case,
        rating=rating,
        comment=comment,
        reopen=reopen,
        now=now,
        unsatisfied=_("The reporter was not satisfied at the callback."),
        callback=True,
    )


def _worked_on(actor: Any, case: Case) -> bool:
    if case.assignee_id == actor.pk:
        return True
    return CaseEvent.objects.filter(
        case=case,
        actor_id=actor.pk,
        action__in=(CaseEvent.Action.STARTED, CaseEvent.Action.RESOLVED),
    ).exists()


def _rating_record(
    *,
    actor: Any,
    case: Case,
    rating: Any,
    comment: str,
    reopen: bool,
    now: datetime,
    unsatisfied: Any,
    callback: bool = False,
) -> Case:
    """Write a rating: the case closes, or goes back to work when a low rating asks for it."""
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise MissingFieldError(_("Give a rating from 1 to 5."), code="rating")
    text = (comment or "").strip()[:500]
    if reopen and value > REOPEN_AT_MOST:
        raise RatingNotAllowedError(
            _("Only a rating of 2 or less reopens the case."), code="reopen_needs_low_rating"
        )
    guarded_update(
        case=case,
        from_statuses=(Status.RESOLVED, Status.CLOSED),
        now=now,
        expected_version=None,
        rating=value,
        rating_comment=text,
        rated_at=now,
    )
    data: dict[str, Any] = {"rating": value}
    changes: dict[str, Any] = {"rating": value}
    if callback:
        data.update(callback=True, recorded_by=actor.pk, recorded_by_label=actor_label(actor))
        changes["callback"] = True
    event_add(
        case=case,
        actor=actor,
        action=CaseEvent.Action.RATED,
        at=now,
        note=text,
        data=data,
    )
    audit_case(actor=actor, action="rate", case=case, changes=changes)
    if reopen:
        return _reopen(
            actor=actor,
            case=case,
            reason=text or str(unsatisfied),
            now=now,
            expected_version=case.version,
        )
    if case.status == Status.RESOLVED:
        before = case.status
        guarded_update(
            case=case,
            from_statuses=(Status.RESOLVED,),
            now=now,
            expected_version=case.version,
            status=Status.CLOSED,
            closed_at=now,
        )
        event_add(
            case=case,
            actor=actor,
            action=CaseEvent.Action.CLOSED,
            at=now,
            from_status=before,
            to_status=Status.CLOSED,
        )
    return case


def autoclose_days() -> int:
    return int(getattr(settings, "GRIDGOV_CASE_AUTOCLOSE_DAYS", 7))


def close_unrated_cases(*, now: datetime | None = None, days: int | None = None) -> int:
    """Close resolved cases that nobody rated within ``days``; returns how many were closed."""
    now = now_or(now)
    limit = now - timedelta(days=autoclose_days() if days is None else days)
    closed = 0
    candidates = list(
        Case.objects.filter(status=Status.RESOLVED, resolved_at__lte=limit, rating__isnull=True)
        .order_by("resolved_at")
        .values_list("pk", "version")[:AUTOCLOSE_BATCH]
    )
    for case_id, version in candidates:
        with transaction.atomic():
            updated = Case.objects.filter(
                pk=case_id, version=version, status=Status.RESOLVED, rating__isnull=True
            ).update(status=Status.CLOSED, closed_at=now, version=version + 1, updated_at=now)
            if updated != 1:
                continue
            case = Case.objects.get(pk=case_id)
            event_add(
                case=case,
                actor=None,
                action=CaseEvent.Action.CLOSED,
                at=now,
                note=str(_("Closed automatically: no rating was given in time.")),
                from_status=Status.RESOLVED,
                to_status=Status.CLOSED,
                data={"automatic": True},
            )
            audit_case(actor=None, action="autoclose", case=case)
        closed += 1
    return closed
