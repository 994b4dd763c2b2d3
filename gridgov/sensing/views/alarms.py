"""The alarm pages (告警): the operations centre's live board, and one alarm with its history
and what may be done with it. The pages parse, call one service or selector, and render."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.cases.selectors.choices import town_outline
from gridgov.cases.services.catalogue import categories_filable
from gridgov.sensing import selectors
from gridgov.sensing.models import Alarm, AlarmStatus, Severity
from gridgov.sensing.services import alarm_actions

BOARD_LIMIT = 200
CODE_MAX = 64
# Watermarks are ids and microseconds since the epoch; 16 digits reach past the year 2200.
NUMBER_MAX = 16
# How often the board asks for changes: an alarm is on the board within about a second.
POLL_SECONDS = 1
# The marker colour of an acknowledged alarm (someone is dealing with it).
ACKNOWLEDGED_COLOR = "#1f5fd1"

# Bootstrap tone of each severity's badge and the marker colour on the board's map.
SEVERITY_TONES: dict[str, str] = {
    Severity.INFO: "secondary",
    Severity.WARNING: "warning",
    Severity.MAJOR: "orange",
    Severity.CRITICAL: "danger",
}
SEVERITY_COLORS: dict[str, str] = {
    Severity.INFO: "#6b7a90",
    Severity.WARNING: "#d97706",
    Severity.MAJOR: "#e8590c",
    Severity.CRITICAL: "#c92a2a",
}


def _require_view(request: HttpRequest) -> None:
    if not has_permission(request.user, Perm.ALARM_VIEW):
        raise PermissionDenied


def _board_filters(request: HttpRequest) -> dict[str, Any]:
    """The board's filters from the query string; an unknown value filters nothing."""
    severity = request.GET.get("severity", "")
    return {
        "cell_code": request.GET.get("cell", "").strip()[:CODE_MAX] or None,
        "severities": [severity] if severity in Severity.values else [],
        "scenario_code": request.GET.get("scenario", "").strip()[:CODE_MAX] or None,
    }


def _open_alarms(request: HttpRequest, **extra: Any) -> list[Alarm]:
    alarms = selectors.alarm_list_for_actor(
        actor=request.user,
        statuses=selectors.OPEN_ALARM_STATUSES,
        **_board_filters(request),
        **extra,
    )
    return list(alarms[:BOARD_LIMIT])


STATUS_RANKS: dict[str, int] = {
    AlarmStatus.ACTIVE: 0,
    AlarmStatus.ACKNOWLEDGED: 1,
    AlarmStatus.CLEARED: 2,
}


def _row_context(alarm: Alarm) -> dict[str, Any]:
    """One row of the board. ``rank`` only grows as an alarm moves on (status, case, occurrences):
    the page keeps a row rather than swap in an older picture of it from a slower answer."""
    position = selectors.alarm_position(alarm)
    return {
        "alarm": alarm,
        "rank": f"{STATUS_RANKS.get(alarm.status, 0)} {int(alarm.case_id is not None)} "
        f"{alarm.occurrences}",
        "tone": SEVERITY_TONES.get(alarm.severity, "secondary"),
        "color": SEVERITY_COLORS.get(alarm.severity, "#6b7a90"),
        "marker_color": ACKNOWLEDGED_COLOR
        if alarm.status == AlarmStatus.ACKNOWLEDGED
        else SEVERITY_COLORS.get(alarm.severity, "#6b7a90"),
        "lng": position[0] if position else None,
        "lat": position[1] if position else None,
    }


def _rows(alarms: list[Alarm]) -> list[dict[str, Any]]:
    return [_row_context(alarm) for alarm in alarms]


def _marks(alarms: list[Alarm], *, after: int, step: int, seen: int) -> dict[str, int]:
    """The board's watermarks after showing ``alarms``: the newest alarm id, the newest step id,
    and the latest occurrence (microseconds since the epoch) of the open alarms shown."""
    shown = [alarm for alarm in alarms if alarm.status in selectors.OPEN_ALARM_STATUSES]
    return {
        "after": max([after, *(alarm.pk for alarm in shown)]),
        "step": step,
        "seen": max([seen, *(_microseconds(alarm.last_occurred_at) for alarm in shown)]),
    }


def _microseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _number(request: HttpRequest, name: str) -> int:
    """A watermark from the query string; anything but a non-negative integer counts as 0."""
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) <= NUMBER_MAX else 0


@login_required
@never_cache
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The live board: open alarms, newest first, on a list and a map; ``board_changes`` is
    polled every second for new alarms and for changes to those shown."""
    _require_view(request)
    filters = _board_filters(request)
    # The step watermark is read before the list: a change between the two shows twice, never
    # not at all.
    step = selectors.alarm_last_step_id()
    alarms = _open_alarms(request)
    context = {
        "rows": _rows(alarms),
        "marks": _marks(
            alarms, after=0, step=step, seen=0 if alarms else _microseconds(timezone.now())
        ),
        "counts": selectors.alarm_counts_for_actor(
            actor=request.user, cell_code=filters["cell_code"]
        ),
        "severities": [
            (value, label, SEVERITY_TONES[value], SEVERITY_COLORS[value])
            for value, label in Severity.choices
        ],
        "acknowledged_color": ACKNOWLEDGED_COLOR,
        "scenarios": selectors.scenario_list_for_actor(actor=request.user),
        "cells": selectors.alarm_cell_choices(actor=request.user),
        "chosen": {
            "cell": filters["cell_code"] or "",
            "severity": filters["severities"][0] if filters["severities"] else "",
            "scenario": filters["scenario_code"] or "",
        },
        "can_handle": has_permission(request.user, Perm.ALARM_HANDLE),
        "can_view_case": has_permission(request.user, Perm.CASE_VIEW),
        "poll_seconds": POLL_SECONDS,
        # The outline sits in a <script> element: no "</" may end it early.
        "outline": town_outline().replace("</", "<\\/"),
    }
    return render(request, "sensing/alarms/board.html", context)


@login_required
@never_cache
@require_GET
def board_changes(request: HttpRequest) -> HttpResponse:
    """The board's poll: 204 with no body when nothing changed (one query); otherwise the new
    alarms (inserted on top), the changed rows and the counts (out-of-band swaps), and the new
    watermarks. A board too far behind is told to load afresh."""
    _require_view(request)
    after, step, seen = (
        _number(request, "after"),
        _number(request, "step"),
        _number(request, "seen"),
    )
    filters = _board_filters(request)
    changes = selectors.alarm_board_changes_for_actor(
        actor=request.user,
        after_id=after,
        after_step_id=step,
        occurred_after=datetime.fromtimestamp(seen / 1_000_000, tz=UTC) if seen else None,
        **filters,
    )
    if changes is None:
        return HttpResponse(status=204)
    if changes.is_too_far_behind:
        return HttpResponse(headers={"HX-Refresh": "true"})
    # A row beyond ``after`` is new unless it was cleared before the board ever saw it.
    new = [
        alarm
        for alarm in changes.alarms
        if alarm.pk > after and alarm.status in selectors.OPEN_ALARM_STATUSES
    ]
    changed = [alarm for alarm in changes.alarms if alarm.pk <= after]
    context = {
        "rows": _rows(new),
        "changed": _rows(changed),
        "marks": _marks(changes.alarms, after=after, step=changes.last_step_id, seen=seen),
        "counts": selectors.alarm_counts_for_actor(
            actor=request.user, cell_code=filters["cell_code"]
        ),
        "can_handle": has_permission(request.user, Perm.ALARM_HANDLE),
        "can_view_case": has_permission(request.user, Perm.CASE_VIEW),
    }
    return render(request, "sensing/alarms/_changes.html", context)


def _visible(request: HttpRequest, pk: int) -> Alarm:
    try:
        return selectors.alarm_for_actor(actor=request.user, alarm_id=pk)
    except Alarm.DoesNotExist:
        raise Http404(_("This alarm does not exist or is outside your area.")) from None


def _refusal_text(error: ValidationError) -> str:
    return " ".join(str(text) for text in error.messages)


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """确认 from the board (htmx: answers with the alarm's row) or from the alarm's page."""
    error = ""
    try:
        alarm_actions.alarm_acknowledge(actor=request.user, alarm_id=pk)
    except ValidationError as refusal:
        error = _refusal_text(refusal)
    if request.htmx:  # type: ignore[attr-defined]
        context = _row_context(_visible(request, pk))
        context.update(
            error=error, can_handle=True, can_view_case=has_permission(request.user, Perm.CASE_VIEW)
        )
        return render(request, "sensing/alarms/_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Alarm acknowledged."))
    return redirect("alarms:detail", pk=pk)


def _detail_context(request: HttpRequest, alarm: Alarm) -> dict[str, Any]:
    can_handle = selectors.alarm_handling_allowed(actor=request.user, alarm=alarm)
    context = _row_context(alarm)
    context.update(
        steps=list(selectors.alarm_steps(alarm=alarm)),
        can_handle=can_handle,
        categories=categories_filable() if can_handle and alarm.case_id is None else [],
        can_view_place=has_permission(request.user, Perm.PLACE_VIEW, cell_code=alarm.cell.code),
        can_view_person=has_permission(request.user, Perm.PERSON_VIEW, cell_code=alarm.cell.code),
        can_view_case=has_permission(request.user, Perm.CASE_VIEW),
        clear_note="",
        case_note="",
        chosen_category=alarm.scenario.case_category_code,
        clear_error="",
        case_error="",
    )
    return context


@login_required
@never_cache
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    alarm = _visible(request, pk)
    return render(request, "sensing/alarms/detail.html", _detail_context(request, alarm))


@login_required
@require_POST
def clear(request: HttpRequest, pk: int) -> HttpResponse:
    """解除 with a note; a refusal shows the page again with the note kept."""
    note = request.POST.get("note", "")
    try:
        alarm_actions.alarm_clear(actor=request.user, alarm_id=pk, note=note)
    except ValidationError as refusal:
        context = _detail_context(request, _visible(request, pk))
        context.update(clear_note=note, clear_error=_refusal_text(refusal))
        return render(request, "sensing/alarms/detail.html", context, status=400)
    messages.success(request, _("Alarm cleared."))
    return redirect("alarms:detail", pk=pk)


@login_required
@require_POST
def open_case(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a case for the alarm; a refusal shows the page again with the choices kept."""
    category = request.POST.get("category", "")
    note = request.POST.get("note", "")
    try:
        case = alarm_actions.alarm_open_case(
            actor=request.user, alarm_id=pk, category_code=category or None, note=note
        )
    except ValidationError as refusal:
        context = _detail_context(request, _visible(request, pk))
        context.update(case_note=note, chosen_category=category, case_error=_refusal_text(refusal))
        return render(request, "sensing/alarms/detail.html", context, status=400)
    messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
    return redirect("alarms:detail", pk=pk)
