"""The access pages (门禁分析): gate flows per hour and the absence list of elders living alone.

The pages parse the query string, call one selector (or the export service) and render.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.sensing.selectors_access import (
    DEFAULT_ABSENCE_DAYS,
    MAX_ABSENCE_DAYS,
    MAX_FLOW_DAYS,
    absence_page_for_actor,
    access_cells_for_actor,
    gate_flows_for_actor,
)
from gridgov.sensing.services.access_exports import absence_export

CELL_CODE_MAX = 32
GATES_SHOWN = 50  # the busiest gates; an area narrows the table to its own
DEFAULT_FLOW_DAYS = 7


def _require_view(request: HttpRequest) -> None:
    if not has_permission(request.user, Perm.ACCESS_VIEW):
        raise PermissionDenied


def _cell(data: Any, cells: list[Any]) -> str:
    """The chosen cell code if it is one of the actor's; otherwise all of the actor's area."""
    code = data.get("cell", "").strip()[:CELL_CODE_MAX]
    return code if any(cell.code == code for cell in cells) else ""


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _period(request: HttpRequest) -> tuple[date, date, str]:
    """(first day, last day, error): the last 7 days unless a valid period is asked for."""
    today = timezone.localdate()
    default = (today - timedelta(days=DEFAULT_FLOW_DAYS - 1), today)
    raw_start, raw_end = request.GET.get("start", ""), request.GET.get("end", "")
    if not raw_start and not raw_end:
        return default[0], default[1], ""
    start, end = _day(raw_start), _day(raw_end)
    if start is None or end is None:
        return default[0], default[1], _("Enter both dates as YYYY-MM-DD; showing the last 7 days.")
    if end < start:
        return (
            default[0],
            default[1],
            _("The end date is before the start date; showing the last 7 days."),
        )
    if (end - start).days >= MAX_FLOW_DAYS:
        return (
            end - timedelta(days=MAX_FLOW_DAYS - 1),
            end,
            _("A period of at most %(days)d days is shown; it was shortened.")
            % {"days": MAX_FLOW_DAYS},
        )
    return start, end, ""


@login_required
@require_GET
def flows(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    cells = access_cells_for_actor(actor=request.user)
    cell = _cell(request.GET, cells)
    start, end, error = _period(request)
    report = gate_flows_for_actor(
        actor=request.user, first_day=start, last_day=end, cell_code=cell or None
    )
    single_day = start == end
    chart = {
        "labels": [
            hour.strftime("%H:00" if single_day else "%m-%d %H:00") for hour, _i, _o in report.hours
        ],
        "in": [passes_in for _hour, passes_in, _out in report.hours],
        "out": [passes_out for _hour, _in, passes_out in report.hours],
    }
    context = {
        "tab": "flows",
        "cells": cells,
        "cell": cell,
        "start": start,
        "end": end,
        "error": error,
        "report": report,
        "gates": report.gates[:GATES_SHOWN],
        "chart": chart,
    }
    return render(request, "sensing/access/flows.html", context)


def _days(data: Any) -> tuple[int, str]:
    raw = data.get("days", "").strip()
    if not raw:
        return DEFAULT_ABSENCE_DAYS, ""
    try:
        days = int(raw)
    except ValueError:
        return DEFAULT_ABSENCE_DAYS, _(
            "Enter the number of days as a whole number; showing 3 days."
        )
    if not 1 <= days <= MAX_ABSENCE_DAYS:
        return DEFAULT_ABSENCE_DAYS, _("Enter between 1 and %(max)d days; showing 3 days.") % {
            "max": MAX_ABSENCE_DAYS
        }
    return days, ""


@login_required
@require_GET
def absence(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    cells = access_cells_for_actor(actor=request.user)
    cell = _cell(request.GET, cells)
    days, error = _days(request.GET)
    listed = absence_page_for_actor(
        actor=request.user, days=days, cell_code=cell or None, page=request.GET.get("page", 1)
    )
    query = urlencode({key: value for key, value in (("days", days), ("cell", cell)) if value})
    context = {
        "tab": "absence",
        "cells": cells,
        "cell": cell,
        "days": days,
        "error": error,
        "listed": listed,
        "rows": listed.rows,
        "query": query,
        "can_export": has_permission(request.user, Perm.REGISTRY_EXPORT),
        "printed_at": timezone.localtime(),
    }
    return render(request, "sensing/access/absence.html", context)


@login_required
@require_POST
def absence_export_view(request: HttpRequest) -> HttpResponse:
    """The absence list as shown, as xlsx (audited by the service)."""
    _require_view(request)
    cells = access_cells_for_actor(actor=request.user)
    cell = _cell(request.POST, cells)
    days, _error = _days(request.POST)
    try:
        export = absence_export(actor=request.user, days=days, cell_code=cell or None)
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not export lists."))
        return redirect(
            reverse("access:absence") + "?" + urlencode({"days": str(days), "cell": cell})
        )
    response = HttpResponse(
        export.content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response
