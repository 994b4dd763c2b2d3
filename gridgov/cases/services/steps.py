"""The building blocks every case service uses: timeline entries, audit rows, guarded updates."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.services.errors import (
    CaseNotFoundError,
    ConcurrentChangeError,
    IllegalTransitionError,
)
from gridgov.core.audit import audit_record


def now_or(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return ""
    return (getattr(actor, "display_name", "") or actor.get_username())[:150]


def actor_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "pk", None) else None


def event_add(
    *,
    case: Case,
    actor: Any,
    action: str,
    at: datetime,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    data: Mapping[str, Any] | None = None,
    label: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        at=at,
        actor=actor_or_none(actor),
        actor_label=label or actor_label(actor),
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=dict(data or {}),
    )


def audit_case(
    *, actor: Any, action: str, case: Case, changes: Mapping[str, Any] | None = None
) -> None:
    audit_record(
        actor=actor_or_none(actor),
        action=f"cases.{action}",
        target=case,
        object_label=case.number,
        changes=dict(changes or {}),
    )


def case_load(case_id: int) -> Case:
    case = (
        Case.objects.select_related(
            "category",
            "category__department",
            "cell",
            "handling_cell",
            "estate",
            "department",
            "property_company",
            "assignee",
            "reporter",
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise CaseNotFoundError()
    return case


def check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise ConcurrentChangeError()


def guarded_update(
    *,
    case: Case,
    from_statuses: Collection[str],
    now: datetime,
    expected_version: int | None,
    **fields: Any,
) -> None:
    """``UPDATE … WHERE id=? AND version=? AND status IN (…)``: exactly one of two racing
    writers succeeds; the other gets ``ConcurrentChangeError`` (or ``IllegalTransitionError``
    when the case has meanwhile moved to a state that no longer allows the step)."""
    check_version(case, expected_version)
    if case.status not in from_statuses:
        raise IllegalTransitionError()
    updated = Case.objects.filter(
        pk=case.pk, version=case.version, status__in=list(from_statuses)
    ).update(version=models.F("version") + 1, updated_at=now, **fields)
    if updated != 1:
        current = Case.objects.filter(pk=case.pk).values_list("status", flat=True).first()
        if current is not None and current not in from_statuses:
            raise IllegalTransitionError()
        raise ConcurrentChangeError()
    case.refresh_from_db()
