"""Helpers of the cases API: the engine's refusals as JSON errors, cases as the API shows them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from gridgov.accounts.scoping import has_permission
from gridgov.cases.models import Attachment, Case, CaseEvent, Visit
from gridgov.cases.services import errors as case_errors
from gridgov.cases.services.attachments import Upload
from gridgov.registry.services.protection import mask_phone


def require(request: Request, permission: str) -> None:
    if not has_permission(request.user, permission):
        raise PermissionDenied


def refusal(error: case_errors.CaseError) -> Response:
    """One engine refusal: 409 for a lost race, 403 for a step not one's to take, else 400."""
    message = " ".join(str(text) for text in error.messages)
    if isinstance(error, case_errors.ConcurrentChangeError):
        return Response({"code": "conflict", "message": message}, status=status.HTTP_409_CONFLICT)
    if isinstance(error, case_errors.NotAllowedError):
        return Response(
            {"code": "permission_denied", "message": message}, status=status.HTTP_403_FORBIDDEN
        )
    code = getattr(error, "code", None) or error.default_code
    if isinstance(error, case_errors.IllegalTransitionError):
        code = "illegal_transition"
    return Response({"code": str(code), "message": message}, status=status.HTTP_400_BAD_REQUEST)


def engine_call(view: Callable[..., Response]) -> Callable[..., Response]:
    """Turn the engine's refusals into the API's error answers."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except case_errors.CaseError as error:
            return refusal(error)

    return wrapped


def uploads(request: Request, field: str = "files") -> list[Upload]:
    files = request.FILES.getlist(field) if hasattr(request, "FILES") else []
    return [
        Upload(
            name=item.name or "upload",
            content_type=item.content_type or "application/octet-stream",
            data=item.read(),
        )
        for item in files
    ]


def _ref(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    name = getattr(obj, "display_name", "") or getattr(obj, "name", "") or str(obj)
    return {"id": obj.pk, "name": name}


def _code_ref(cell: Any) -> dict[str, Any]:
    return {"code": cell.code, "name": cell.name}


def attachment_data(item: Attachment) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "content_type": item.content_type,
        "size": item.size,
        "name": item.original_name,
        "url": reverse("api-case-attachment", args=[item.pk]),
    }


def case_row(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "channel": case.channel,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "category": {"code": case.category.code, "name": case.category.name},
        "cell": _code_ref(case.cell),
        "handling_cell": _code_ref(case.handling_cell),
        "address": case.address,
        "lat": case.lat,
        "lng": case.lng,
        "department": _ref(case.department),
        "property_company": _ref(case.property_company),
        "assignee": _ref(case.assignee),
        "created_at": case.created_at,
        "accept_due_at": case.accept_due_at,
        "resolve_due_at": case.resolve_due_at,
        "accepted_at": case.accepted_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "is_overdue": case.is_overdue,
        "is_whistled": case.is_whistled,
        "escalation_count": case.escalation_count,
        "reopen_count": case.reopen_count,
        "rating": case.rating,
        "merged_into": case.merged_into.number
        if case.merged_into_id and case.merged_into
        else None,
        "version": case.version,
    }


def event_row(event: CaseEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "at": event.at,
        "by": event.actor_label or (event.actor.get_username() if event.actor else ""),
        "action": event.action,
        "action_label": str(event.get_action_display()),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "attachments": [attachment_data(item) for item in event.attachments.all()],
    }


def case_detail(case: Case, *, timeline: Iterable[CaseEvent], actions: list[str]) -> dict[str, Any]:
    whistles = case.whistles.select_related("lead_department").prefetch_related(
        "summonses__department"
    )
    phone = (
        mask_phone(case.reporter_phone_prefix, case.reporter_phone_last4)
        if case.reporter_phone_last4
        else ""
    )
    return {
        **case_row(case),
        "description": case.description,
        "attributes": case.attributes or {},
        "reporter_name": case.reporter_name,
        "reporter_phone": phone,
        "estate": _ref(case.estate),
        "building_id": case.building_id,
        "suspended_until": case.suspended_until,
        "rating_comment": case.rating_comment,
        "allowed_actions": actions,
        "timeline": [event_row(event) for event in timeline],
        "attachments": [attachment_data(item) for item in case.attachments.all()],
        "whistles": [
            {
                "id": whistle.pk,
                "called_at": whistle.called_at,
                "reason": whistle.reason,
                "lead_department": _ref(whistle.lead_department),
                "report_due_at": whistle.report_due_at,
                "summonses": [
                    {
                        "id": summons.pk,
                        "department": _ref(summons.department),
                        "reported_at": summons.reported_at,
                        "note": summons.note,
                    }
                    for summons in whistle.summonses.all()
                ],
            }
            for whistle in whistles
        ],
        "squad": [
            {
                "id": member.pk,
                "name": member.name,
                "organization": _ref(member.organization),
                "role": member.role,
                "added_at": member.added_at,
            }
            for member in case.squad.select_related("organization")
        ],
    }


def visit_row(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "building": {"id": visit.building_id, "name": str(visit.building)},
        "cell": _code_ref(visit.cell),
        "worker": getattr(visit.worker, "display_name", "") or visit.worker.get_username(),
        "at": visit.at,
        "lat": visit.lat,
        "lng": visit.lng,
        "accuracy_m": visit.accuracy_m,
        "note": visit.note,
        "case": visit.case.number if visit.case_id and visit.case else None,
        "attachments": [attachment_data(item) for item in visit.attachments.all()],
    }
