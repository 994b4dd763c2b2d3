"""Our catalogue and cases in GeoReport v2 terms: services, definitions, service requests.

``service_code`` is a category's code; ``service_request_id`` is the case number; a request is
``open`` while its case still needs work (``OPEN_STATUSES``) and ``closed`` once resolved,
closed or merged into another. Nothing about the reporter ever leaves through this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, Category, DeadlineUnit

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
OPEN = "open"
CLOSED = "closed"
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
# Steps whose note tells the public how the request stands.
PUBLIC_NOTE_ACTIONS = (
    CaseEvent.Action.RESOLVED,
    CaseEvent.Action.CLOSED,
    CaseEvent.Action.MERGED,
    CaseEvent.Action.SUSPENDED,
    CaseEvent.Action.REOPENED,
)


def w3c(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset (``2026-11-22T09:30:00+08:00``), as the specification asks."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def open_or_closed(status: str) -> str:
    return OPEN if status in OPEN_STATUSES else CLOSED


def _span(amount: int, unit: str) -> str:
    if unit == DeadlineUnit.WORKING_DAYS:
        return _("%(count)d working days") % {"count": amount}
    return _("%(count)d hours") % {"count": amount}


def service_notice(category: Category) -> str:
    """What a requester may expect: the category's deadlines in words."""
    return _("Accepted within %(accept)s, resolved within %(resolve)s.") % {
        "accept": _span(category.accept_within, category.accept_unit),
        "resolve": _span(category.resolve_within, category.resolve_unit),
    }


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ",".join((category.keywords or "").split()),
        "group": category.parent.name if category.parent_id and category.parent else "",
    }


def _attribute(raw: dict[str, Any], position: int) -> dict[str, Any]:
    datatype = str(raw.get("datatype") or "string")
    item: dict[str, Any] = {
        "variable": True,
        "code": str(raw.get("code") or ""),
        "datatype": datatype if datatype in DATATYPES else "string",
        "required": bool(raw.get("required", False)),
        "datatype_description": str(raw.get("datatype_description") or ""),
        "order": int(raw.get("order") or position),
        "description": str(raw.get("description") or ""),
    }
    if item["datatype"] in ("singlevaluelist", "multivaluelist"):
        item["values"] = [
            {"key": str(value.get("key", "")), "name": str(value.get("name", ""))}
            for value in raw.get("values") or []
        ]
    return item


def service_definition(category: Category) -> dict[str, Any]:
    attributes = [
        _attribute(raw, position)
        for position, raw in enumerate(category.attributes or [], start=1)
        if isinstance(raw, dict)
    ]
    attributes.sort(key=lambda item: item["order"])
    return {"service_code": category.code, "attributes": attributes}


def attribute_kinds(category: Category) -> dict[str, str]:
    """Attribute code → datatype, to read ``attribute[code]`` / ``attribute[code][]``."""
    return {
        str(raw.get("code")): str(raw.get("datatype") or "string")
        for raw in category.attributes or []
        if isinstance(raw, dict) and raw.get("code")
    }


def _public_notes(case_ids: Sequence[int]) -> dict[int, str]:
    """The latest public note of each case, in one query."""
    notes: dict[int, str] = {}
    if not case_ids:
        return notes
    events = (
        CaseEvent.objects.filter(case_id__in=case_ids, action__in=PUBLIC_NOTE_ACTIONS)
        .exclude(note="")
        .order_by("case_id", "at", "id")
        .values_list("case_id", "note")
    )
    for case_id, note in events:
        notes[case_id] = note
    return notes


def agency(case: Case) -> str:
    if case.property_company_id and case.property_company:
        return case.property_company.name
    if case.department_id and case.department:
        return case.department.name
    return ""


def service_requests(cases: Iterable[Case]) -> list[dict[str, Any]]:
    """Cases (with category, department and property company selected) as requests."""
    rows = list(cases)
    notes = _public_notes([case.pk for case in rows])
    return [
        {
            "service_request_id": case.number,
            "status": open_or_closed(case.status),
            "status_notes": notes.get(case.pk, ""),
            "service_name": case.category.name,
            "service_code": case.category.code,
            "description": case.description,
            "agency_responsible": agency(case),
            "service_notice": service_notice(case.category),
            "requested_datetime": w3c(case.created_at),
            "updated_datetime": w3c(case.updated_at),
            "expected_datetime": w3c(case.resolve_due_at),
            "address": case.address,
            "address_id": str(case.building_id) if case.building_id else "",
            "zipcode": "",
            "lat": case.lat,
            "long": case.lng,
            "media_url": str((case.attributes or {}).get("media_url") or ""),
        }
        for case in rows
    ]
