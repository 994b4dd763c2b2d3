"""Reading devices, events and dead letters — always for an acting user (DESIGN D7).

Staff see the devices of the cells they work in (``scope_for``). Property-company staff see
only their company's devices there. Events follow their device's visibility.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Value

from gridgov.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.scoping import Scope, active_memberships, has_permission, scope_for
from gridgov.grids.models import Cell, LevelKind
from gridgov.registry.models import Residency
from gridgov.sensing.models import (
    Alarm,
    AlarmStatus,
    AlarmStep,
    DeadLetter,
    Device,
    Event,
    Scenario,
    Severity,
)


def _area_visibility(actor: Any, permission: str, *, cell: str, owner: str) -> Q | None:
    """A filter on rows whose cell (the lookup ``cell``) lies in the actor's area for
    ``permission``, or ``None`` for nothing. Property staff see only the rows whose owner (the
    lookup ``owner``) is their company, within their area."""
    scope = scope_for(actor, permission)
    if scope.is_global:
        return Q()
    if scope.is_empty:
        return None
    area_codes: set[str] = set()
    condition = Q(pk__in=[])
    for role, cell_code, organization_id in active_memberships(actor):
        if permission not in ROLE_PERMISSIONS.get(role, frozenset()):
            continue
        if role == Role.PROPERTY_STAFF:
            if organization_id is not None:
                condition |= Q(
                    **{f"{cell}__code__startswith": cell_code, f"{owner}_id": organization_id}
                )
        else:
            area_codes.add(cell_code)
    if area_codes:
        condition |= Scope(cell_codes=tuple(sorted(area_codes))).q(f"{cell}__code")
    return condition


def _device_visibility(actor: Any, permission: str, prefix: str = "") -> Q | None:
    """A filter on devices (through ``prefix``) the actor may see, or ``None`` for nothing."""
    return _area_visibility(actor, permission, cell=f"{prefix}cell", owner=f"{prefix}owner")


def device_list_for_actor(
    *,
    actor: Any,
    category: str | None = None,
    cell_code: str | None = None,
    is_online: bool | None = None,
    include_inactive: bool = False,
    search: str | None = None,
) -> QuerySet[Device]:
    visible = _device_visibility(actor, Perm.DEVICE_VIEW)
    if visible is None:
        return Device.objects.none()
    devices = Device.objects.filter(visible).select_related(
        "cell", "owner", "estate", "building", "gateway"
    )
    if not include_inactive:
        devices = devices.filter(is_active=True)
    if category:
        devices = devices.filter(category=category)
    if cell_code:
        devices = devices.filter(cell__code__startswith=cell_code)
    if is_online is not None:
        devices = devices.filter(is_online=is_online)
    if search:
        devices = devices.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return devices.order_by("code")


def device_get_for_actor(*, actor: Any, code: str) -> Device:
    """The device if the actor may see it; ``Device.DoesNotExist`` otherwise (no hint it exists)."""
    return device_list_for_actor(actor=actor, include_inactive=True).get(code=code)


def event_list_for_actor(
    *,
    actor: Any,
    device_code: str | None = None,
    kinds: Iterable[str] = (),
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> QuerySet[Event]:
    visible = _device_visibility(actor, Perm.EVENT_VIEW, prefix="device__")
    if visible is None:
        return Event.objects.none()
    events = Event.objects.filter(visible).select_related("device")
    if device_code:
        events = events.filter(device__code=device_code)
    kinds = [kind for kind in kinds if kind]
    if kinds:
        events = events.filter(kind__in=kinds)
    if occurred_from is not None:
        events = events.filter(occurred_at__gte=occurred_from)
    if occurred_to is not None:
        events = events.filter(occurred_at__lt=occurred_to)
    return events.order_by("-occurred_at", "-id")


def dead_letters_visible(actor: Any) -> bool:
    """Dead letters are the platform's, not a place's: for those who manage devices."""
    return has_permission(actor, Perm.DEVICE_MANAGE)


def dead_letter_list_for_actor(
    *,
    actor: Any,
    reason: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> QuerySet[DeadLetter]:
    if not dead_letters_visible(actor):
        return DeadLetter.objects.none()
    letters = DeadLetter.objects.defer("payload")
    if reason:
        letters = letters.filter(reason=reason)
    if received_from is not None:
        letters = letters.filter(received_at__gte=received_from)
    if received_to is not None:
        letters = letters.filter(received_at__lt=received_to)
    return letters.order_by("-received_at", "-id")


def dead_letter_counts_for_actor(
    *,
    actor: Any,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> dict[str, int]:
    """Reason code → count, for the period."""
    letters = dead_letter_list_for_actor(
        actor=actor, received_from=received_from, received_to=received_to
    )
    return {
        row["reason"]: row["total"]
        for row in letters.order_by().values("reason").annotate(total=Count("id"))
    }


# --- Alarms (告警) and scenarios (场景) -------------------------------------------------------

OPEN_ALARM_STATUSES = (AlarmStatus.ACTIVE, AlarmStatus.ACKNOWLEDGED)


def _alarm_visibility(actor: Any, permission: str) -> Q | None:
    """A filter on alarms the actor holds ``permission`` for, or ``None`` for none.

    Area roles: the alarms of their cells' subtrees. Property staff: the alarms of their
    company's devices within their area."""
    return _area_visibility(actor, permission, cell="cell", owner="device__owner")


def alarm_list_for_actor(
    *,
    actor: Any,
    cell_code: str | None = None,
    severities: Iterable[str] = (),
    scenario_code: str | None = None,
    statuses: Iterable[str] = (),
    since: datetime | None = None,
    after_id: int | None = None,
) -> QuerySet[Alarm]:
    """The alarms the actor may see, newest first; ``cell_code`` takes the cell's subtree,
    ``after_id`` only alarms newer than one already shown (the board's polling)."""
    visible = _alarm_visibility(actor, Perm.ALARM_VIEW)
    if visible is None:
        return Alarm.objects.none()
    alarms = Alarm.objects.filter(visible).select_related(
        "scenario", "cell", "device", "building__estate", "case", "acknowledged_by"
    )
    if cell_code:
        alarms = alarms.filter(cell__code__startswith=cell_code)
    severities = [item for item in severities if item]
    if severities:
        alarms = alarms.filter(severity__in=severities)
    if scenario_code:
        alarms = alarms.filter(scenario__code=scenario_code)
    statuses = [item for item in statuses if item]
    if statuses:
        alarms = alarms.filter(status__in=statuses)
    if since is not None:
        alarms = alarms.filter(raised_at__gte=since)
    if after_id is not None:
        alarms = alarms.filter(pk__gt=after_id)
    return alarms.order_by("-raised_at", "-id")


def alarm_for_actor(*, actor: Any, alarm_id: int) -> Alarm:
    """The alarm if the actor may see it; ``Alarm.DoesNotExist`` otherwise (no hint it exists)."""
    return alarm_list_for_actor(actor=actor).get(pk=alarm_id)


def alarm_handling_allowed(*, actor: Any, alarm: Alarm) -> bool:
    """Whether the actor holds ``sensing.handle_alarm`` for this alarm (its cell; property
    staff: their company's device)."""
    condition = _alarm_visibility(actor, Perm.ALARM_HANDLE)
    if condition is None:
        return False
    return Alarm.objects.filter(condition, pk=alarm.pk).exists()


def alarm_steps(*, alarm: Alarm) -> QuerySet[AlarmStep]:
    """The history of an alarm already fetched for the actor, oldest first."""
    return alarm.steps.select_related("actor").order_by("at", "id")


def alarm_history_for_device(*, actor: Any, device_code: str) -> QuerySet[Alarm]:
    return alarm_list_for_actor(actor=actor).filter(device__code=device_code)


def alarm_history_for_dwelling(
    *, actor: Any, dwelling_id: int, include_residents: bool = True
) -> QuerySet[Alarm]:
    """The dwelling's alarms, and with ``include_residents`` those about its present residents."""
    condition = Q(dwelling_id=dwelling_id)
    if include_residents:
        residents = Residency.objects.filter(dwelling_id=dwelling_id, ended_on__isnull=True).values(
            "person_id"
        )
        condition |= Q(person_id__in=residents)
    return alarm_list_for_actor(actor=actor).filter(condition)


def alarm_list_for_case(*, actor: Any, case_id: int) -> QuerySet[Alarm]:
    """The alarms linked to a case that the actor may see, newest first."""
    return alarm_list_for_actor(actor=actor).filter(case_id=case_id)


def alarm_history_for_person(*, actor: Any, person_id: int) -> QuerySet[Alarm]:
    return alarm_list_for_actor(actor=actor).filter(person_id=person_id)


def alarm_counts_for_actor(*, actor: Any, cell_code: str | None = None) -> dict[str, int]:
    """Open alarms for the board: ``active``, ``acknowledged`` and one count per severity."""
    counts: dict[str, int] = dict.fromkeys(OPEN_ALARM_STATUSES, 0)
    counts.update(dict.fromkeys(Severity.values, 0))
    rows = (
        alarm_list_for_actor(actor=actor, cell_code=cell_code, statuses=OPEN_ALARM_STATUSES)
        .order_by()
        .values("status", "severity")
        .annotate(total=Count("id"))
    )
    for row in rows:
        counts[row["status"]] += row["total"]
        counts[row["severity"]] += row["total"]
    return counts


def scenarios_visible(actor: Any) -> bool:
    """Scenarios are the platform's, not a place's: for whoever sees alarms or edits them."""
    return has_permission(actor, Perm.ALARM_VIEW) or has_permission(actor, Perm.SCENARIO_MANAGE)


def scenario_list_for_actor(*, actor: Any) -> QuerySet[Scenario]:
    if not scenarios_visible(actor):
        return Scenario.objects.none()
    return Scenario.objects.order_by("code")


def scenario_for_actor(*, actor: Any, code: str) -> Scenario:
    """The scenario, or ``Scenario.DoesNotExist`` for an unknown code or an actor without access."""
    return scenario_list_for_actor(actor=actor).get(code=code)


def alarm_position(alarm: Alarm) -> tuple[float, float] | None:
    """Where to put the alarm on a map (lng, lat): its device's point, else its building's."""
    device = alarm.device
    if device is not None and device.lng is not None and device.lat is not None:
        return device.lng, device.lat
    building = alarm.building
    if building is not None and building.lng is not None and building.lat is not None:
        return building.lng, building.lat
    return None


def alarm_cell_choices(*, actor: Any, limit: int = 300) -> list[Cell]:
    """The cells an alarm list can be narrowed to: those in the actor's alarm scope, down to
    grids (micro-grids would make the list long; a grid's filter takes its micro-grids)."""
    scope = scope_for(actor, Perm.ALARM_VIEW)
    cells = scope.filter(
        Cell.objects.filter(is_active=True).exclude(level=LevelKind.MICRO_GRID), code_field="code"
    )
    return list(cells.order_by("code")[:limit])


# --- The live board's polling (告警看板刷新) ---------------------------------------------------

BOARD_CATCH_UP_LIMIT = 500


@dataclass(frozen=True)
class AlarmBoardChanges:
    """What changed since a board's last poll: ``alarms`` (visible, matching the filters, any
    status, newest first), the newest step id now seen, and ``is_too_far_behind`` when more
    changed than a poll should carry (the board then loads afresh)."""

    alarms: list[Alarm]
    last_step_id: int
    is_too_far_behind: bool = False


def alarm_last_step_id() -> int:
    """The newest alarm step's id: where a board starts watching for changes."""
    return AlarmStep.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def alarm_board_changes_for_actor(
    *,
    actor: Any,
    after_id: int,
    after_step_id: int,
    occurred_after: datetime | None,
    cell_code: str | None = None,
    severities: Iterable[str] = (),
    scenario_code: str | None = None,
) -> AlarmBoardChanges | None:
    """The board's changes since its last poll, or ``None`` when nothing changed.

    One query answers "anything new?": the steps after ``after_step_id`` (acknowledged, case
    opened, cleared — each human or automatic change writes one) together with the open alarms
    newer than ``after_id`` or occurring again after ``occurred_after`` (a recurrence is an
    UPDATE of ``occurrences`` and ``last_occurred_at`` that writes no step). Only when something
    did change does a second query fetch those alarms, within the actor's area."""
    steps = AlarmStep.objects.filter(pk__gt=after_step_id).values_list("alarm_id", "pk")
    recent = Q(pk__gt=after_id)
    if occurred_after is not None:
        recent |= Q(last_occurred_at__gt=occurred_after)
    open_alarms = (
        alarm_list_for_actor(
            actor=actor,
            cell_code=cell_code,
            severities=severities,
            scenario_code=scenario_code,
            statuses=OPEN_ALARM_STATUSES,
        )
        .filter(recent)
        .values_list("pk", Value(0))
    )
    probe = list(steps.order_by().union(open_alarms.order_by(), all=True))
    if not probe:
        return None
    last_step_id = max([after_step_id, *(step_id for _alarm_id, step_id in probe)])
    alarm_ids = {alarm_id for alarm_id, _step_id in probe}
    if len(alarm_ids) > BOARD_CATCH_UP_LIMIT:
        return AlarmBoardChanges(alarms=[], last_step_id=last_step_id, is_too_far_behind=True)
    alarms = (
        alarm_list_for_actor(
            actor=actor, cell_code=cell_code, severities=severities, scenario_code=scenario_code
        )
        .filter(pk__in=alarm_ids)
        .select_related("cleared_by")
    )
    return AlarmBoardChanges(alarms=list(alarms), last_step_id=last_step_id)
