"""Closure: the resident's rating, and closing what nobody rated in time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case, CaseEvent, Status
from gridgov.cases.services.errors import MissingFieldError, RatingNotAllowedError
from gridgov.cases.services.lifecycle import _reopen
from gridgov.cases.services.steps import (
    audit_case,
    case_load,
    event_add,
    guarded_update,
    now_or,
)

AUTOCLOSE_BATCH = 1000
REOPEN_AT_MOST = 2


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
    event_add(
        case=case,
        actor=actor,
        action=CaseEvent.Action.RATED,
        at=now,
        note=text,
        data={"rating": value},
    )
    audit_case(actor=actor, action="rate", case=case, changes={"rating": value})
    if reopen:
        return _reopen(
            actor=actor,
            case=case,
            reason=text or str(_("The resident is not satisfied.")),
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
