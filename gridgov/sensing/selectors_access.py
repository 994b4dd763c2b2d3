"""Gate flows and the absence list, for an acting user (``sensing.view_access``).

Both are scoped by the cells where the actor holds ``sensing.view_access``; people are shown
through the registry's ``PersonPresenter`` (identifiers masked, sensitive people restricted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q
from django.utils import timezone

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.grids.models import Cell
from gridgov.registry.models import Person, PersonTag, Residency
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.services.tags import TAG_ELDERLY_ALONE
from gridgov.sensing.access import (
    TOWN_TIME,
    AbsentPerson,
    GateHour,
    gate_flows,
    hourly_totals,
    people_not_passed_since,
)
from gridgov.sensing.models import Device

DEFAULT_ABSENCE_DAYS = 3
MAX_ABSENCE_DAYS = 60
MAX_FLOW_DAYS = 31
ABSENCE_PAGE_SIZE = 200


@dataclass(frozen=True)
class GateFlow:
    """One gate's passes over the period."""

    code: str
    name: str
    place: str
    passes_in: int
    passes_out: int


@dataclass(frozen=True)
class FlowReport:
    gates: list[GateFlow]
    hours: list[tuple[datetime, int, int]]  # (hour in town time, in, out), every gate summed
    total_in: int
    total_out: int


def access_cells_for_actor(*, actor: Any) -> list[Cell]:
    """The active cells the actor may see flows and absences of, in tree order (for a picker)."""
    scope = scope_for(actor, Perm.ACCESS_VIEW)
    if scope.is_empty:
        return []
    cells = scope.filter(Cell.objects.filter(is_active=True), code_field="code")
    return list(cells.only("id", "code", "name", "level", "depth").order_by("code")[:500])


def _device_condition(actor: Any, cell_code: str | None) -> Q | None:
    scope = scope_for(actor, Perm.ACCESS_VIEW)
    if scope.is_empty:
        return None
    condition = Q() if scope.is_global else scope.q("device__cell__code")
    if cell_code:
        condition &= Q(device__cell__code__startswith=cell_code)
    return condition


def town_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in town time."""
    start = datetime(first.year, first.month, first.day, tzinfo=TOWN_TIME)
    end = datetime(last.year, last.month, last.day, tzinfo=TOWN_TIME) + timedelta(days=1)
    return start, end


def gate_flows_for_actor(
    *, actor: Any, first_day: date, last_day: date, cell_code: str | None = None
) -> FlowReport:
    """Passes in and out per gate and per hour, over the days ``first_day``..``last_day``
    (town time), for the gates the actor may see (in ``cell_code`` if given)."""
    condition = _device_condition(actor, cell_code)
    if condition is None:
        return FlowReport(gates=[], hours=[], total_in=0, total_out=0)
    start, end = town_day_bounds(first_day, last_day)
    flows = gate_flows(occurred_from=start, occurred_to=end, device_filter=condition)
    # Every hour of the period up to the current one, so that the chart's axis is continuous.
    until = min(
        end,
        timezone.now().astimezone(TOWN_TIME).replace(minute=0, second=0, microsecond=0)
        + timedelta(hours=1),
    )
    return _report(flows, start, until)


def _report(flows: list[GateHour], start: datetime, until: datetime) -> FlowReport:
    totals: dict[int, list[int]] = {}
    for flow in flows:
        entry = totals.setdefault(flow.device_id, [0, 0])
        entry[0] += flow.passes_in
        entry[1] += flow.passes_out
    devices = Device.objects.filter(id__in=list(totals)).select_related("cell", "estate")
    gates = sorted(
        (
            GateFlow(
                code=device.code,
                name=device.name,
                place=device.estate.name
                if device.estate
                else (device.cell.name if device.cell else ""),
                passes_in=totals[device.id][0],
                passes_out=totals[device.id][1],
            )
            for device in devices
        ),
        key=lambda gate: (-(gate.passes_in + gate.passes_out), gate.code),
    )
    counted = {
        hour: (passes_in, passes_out) for hour, passes_in, passes_out in hourly_totals(flows)
    }
    hours = []
    hour = start
    while hour < until:
        passes_in, passes_out = counted.pop(hour, (0, 0))
        hours.append((hour, passes_in, passes_out))
        hour += timedelta(hours=1)
    hours.extend((hour, passes_in, passes_out) for hour, (passes_in, passes_out) in counted.items())
    hours.sort()
    return FlowReport(
        gates=gates,
        hours=hours,
        total_in=sum(gate.passes_in for gate in gates),
        total_out=sum(gate.passes_out for gate in gates),
    )


@dataclass(frozen=True)
class AbsentRow:
    """A person of the absence list as the actor may see them, with their last pass."""

    person: dict[str, Any]
    last_pass_at: datetime | None
    days_since: int | None


def _cell_ids(actor: Any, cell_code: str | None) -> list[int] | None:
    """The ids of the cells in the actor's scope (and under ``cell_code``); None: everywhere."""
    scope = scope_for(actor, Perm.ACCESS_VIEW)
    if scope.is_global and not cell_code:
        return None
    cells = (
        Cell.objects.all()
        if scope.is_global
        else scope.filter(Cell.objects.all(), code_field="code")
    )
    if cell_code:
        cells = cells.filter(code__startswith=cell_code)
    return list(cells.values_list("id", flat=True))


def _absent(actor: Any, days: int, cell_code: str | None, now: datetime) -> list[AbsentPerson]:
    if scope_for(actor, Perm.ACCESS_VIEW).is_empty:
        return []
    days = max(1, min(int(days), MAX_ABSENCE_DAYS))
    cell_ids = _cell_ids(actor, cell_code)
    if cell_ids == []:
        return []
    return people_not_passed_since(
        tag_code=TAG_ELDERLY_ALONE, since=now - timedelta(days=days), cell_ids=cell_ids
    )


def _present(actor: Any, absent: Sequence[AbsentPerson], now: datetime) -> list[AbsentRow]:
    """The people as the actor may see them: four queries whatever their number."""
    if not absent:
        return []
    current = (
        Residency.objects.filter(ended_on__isnull=True)
        .select_related("dwelling")
        .only("person", "dwelling", "role", "dwelling__address")
    )
    people = {
        person.pk: person
        for person in Person.objects.filter(pk__in=[row.person_id for row in absent])
        .select_related("cell")
        .prefetch_related(
            Prefetch("person_tags", queryset=PersonTag.objects.select_related("tag")),
            Prefetch("residencies", queryset=current, to_attr="current_residencies"),
        )
    }
    presenter = PersonPresenter(actor, today=timezone.localdate(now))
    rows = []
    for row in absent:
        person = people.get(row.person_id)
        if person is None:
            continue
        since = row.last_pass_at
        rows.append(
            AbsentRow(
                person=presenter.row(person),
                last_pass_at=since,
                days_since=(now - since).days if since is not None else None,
            )
        )
    return rows


def absence_list_for_actor(
    *,
    actor: Any,
    days: int = DEFAULT_ABSENCE_DAYS,
    cell_code: str | None = None,
    now: datetime | None = None,
) -> list[AbsentRow]:
    """Elders living alone (独居老人) in the actor's area none of whose access cards passed a
    gate for ``days`` days or more, never-passed and longest-absent first (all of them: the
    export; a page shows ``absence_page_for_actor``)."""
    now = now or timezone.now()
    return _present(actor, _absent(actor, days, cell_code, now), now)


@dataclass(frozen=True)
class AbsencePage:
    rows: list[AbsentRow]
    page: Page[AbsentPerson]
    total: int
    never: int  # of the total, people whose cards never passed


def absence_page_for_actor(
    *,
    actor: Any,
    days: int = DEFAULT_ABSENCE_DAYS,
    cell_code: str | None = None,
    page: int | str = 1,
    per_page: int = ABSENCE_PAGE_SIZE,
    now: datetime | None = None,
) -> AbsencePage:
    """One page of the absence list, with the count of the whole list."""
    now = now or timezone.now()
    absent = _absent(actor, days, cell_code, now)
    shown = Paginator(absent, per_page).get_page(page)
    return AbsencePage(
        rows=_present(actor, list(shown.object_list), now),
        page=shown,
        total=len(absent),
        never=sum(1 for row in absent if row.last_pass_at is None),
    )
