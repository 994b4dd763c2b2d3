"""The periodic scan (``scan_conditions``) and the device-offline hook of the offline scan."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from gridgov.registry.models import Dwelling, Residency
from gridgov.sensing.access import people_not_passed_since
from gridgov.sensing.models import (
    Alarm,
    AlarmStatus,
    Device,
    DeviceState,
    ScenarioKind,
)
from gridgov.sensing.services.alarms import AlarmDraft
from gridgov.sensing.services.rules.base import (
    DEFAULT_QUIET_SECONDS,
    Evaluation,
    Outcome,
    Place,
    Rule,
    StoredEvent,
    condition_key,
    device_draft,
    draft_fields,
    enabled_rules,
)

_QUIET_KINDS = (ScenarioKind.EVENT, ScenarioKind.OUTSIDE_HOURS, ScenarioKind.COUNT)


# --- devices gone offline (MISSING device) --------------------------------------------------


def devices_went_offline(devices: Iterable[Device], *, now: datetime | None = None) -> Evaluation:
    """Raise the device-offline alarm of each device the offline scan just marked offline."""
    evaluation = Evaluation()
    rules = [
        rule
        for rule in enabled_rules()
        if rule.kind == ScenarioKind.MISSING and rule.params.get("subject") == "device"
    ]
    devices = list(devices)
    if not rules or not devices:
        return evaluation
    now = now or timezone.now()
    outcome = Outcome()
    for rule in rules:
        for device in devices:
            place = Place(
                device.pk, device.name, device.category, device.cell_id, device.building_id
            )
            if not rule.covers(place.category):
                continue
            last_seen = device.last_seen_at.isoformat() if device.last_seen_at else None
            event = StoredEvent(0, device.pk, "offline", now, {})
            draft = device_draft(rule, place, event, {"last_seen_at": last_seen})
            if draft is not None:
                outcome.raise_for(draft)
    outcome.apply(evaluation)
    return evaluation


# --- the periodic scan ----------------------------------------------------------------------


def scan_conditions(now: datetime | None = None) -> Evaluation:
    """Raise held states and absent people, clear quiet conditions; idempotent."""
    now = now or timezone.now()
    evaluation = Evaluation()
    outcome = Outcome()
    for rule in enabled_rules():
        if rule.kind == ScenarioKind.HELD:
            _scan_held(rule, now, outcome)
        elif rule.kind in _QUIET_KINDS:
            _scan_quiet(rule, now, outcome)
        elif rule.kind == ScenarioKind.MISSING and rule.params.get("subject") == "person":
            _scan_absent(rule, now, outcome)
        elif rule.kind == ScenarioKind.MISSING:
            _scan_back_online(rule, now, outcome)
    outcome.apply(evaluation)
    return evaluation


def _scan_held(rule: Rule, now: datetime, outcome: Outcome) -> None:
    target, limit = rule.params["state"], timedelta(seconds=rule.params["seconds"])
    held = DeviceState.objects.filter(state=target, since__lte=now - limit, device__is_active=True)
    if rule.categories:
        held = held.filter(device__category__in=rule.categories)
    rows = held.values_list(
        "device_id", "since", "device__name", "device__category", "device__cell_id",
        "device__building_id",
    )  # fmt: skip
    for device_id, since, name, category, cell_id, building_id in rows:
        place = Place(device_id, name, category, cell_id, building_id)
        event = StoredEvent(0, device_id, "", now, {}, target)
        draft = device_draft(rule, place, event, {"state": target, "since": since.isoformat()})
        if draft is not None:
            outcome.raise_for(AlarmDraft(**{**draft_fields(draft), "occurrences": 0}))
    # A state that changed while no report of it was evaluated (e.g. out of order) ends it too.
    stale = (
        Alarm.objects.filter(scenario_id=rule.id)
        .exclude(status=AlarmStatus.CLEARED)
        .exclude(device__current_state__state=target)
        .values_list("condition_key", flat=True)
    )
    for key in stale:
        outcome.clear(key, now)


def _scan_back_online(rule: Rule, now: datetime, outcome: Outcome) -> None:
    """A device-offline alarm of a device online again (its batch raced the offline scan)."""
    keys = (
        Alarm.objects.filter(scenario_id=rule.id, device__is_online=True)
        .exclude(status=AlarmStatus.CLEARED)
        .values_list("condition_key", flat=True)
    )
    for key in keys:
        outcome.clear(key, now)


def _scan_quiet(rule: Rule, now: datetime, outcome: Outcome) -> None:
    quiet = timedelta(seconds=rule.params.get("quiet_seconds") or DEFAULT_QUIET_SECONDS)
    keys = (
        Alarm.objects.filter(scenario_id=rule.id, last_occurred_at__lt=now - quiet)
        .exclude(status=AlarmStatus.CLEARED)
        .values_list("condition_key", flat=True)
    )
    for key in keys:
        outcome.clear(key, now)


def _scan_absent(rule: Rule, now: datetime, outcome: Outcome) -> None:
    days = int(rule.params["days"])
    absent = people_not_passed_since(tag_code=rule.params["tag"], since=now - timedelta(days=days))
    homes = dict(
        Residency.objects.filter(
            person_id__in=[person.person_id for person in absent], ended_on__isnull=True
        ).values_list("person_id", "dwelling_id")
    )
    dwellings = {
        row[0]: row
        for row in Dwelling.objects.filter(
            id__in={*homes.values(), *(person.dwelling_id for person in absent)}
        ).values_list("id", "cell_id", "building_id")
    }
    for person in absent:
        dwelling_id = homes.get(person.person_id) or person.dwelling_id
        _dwelling, cell_id, building_id = dwellings.get(dwelling_id or 0, (None, None, None))
        cell_id = cell_id or person.cell_id
        if cell_id is None:
            continue
        last = person.last_pass_at.isoformat() if person.last_pass_at else None
        outcome.raise_for(
            AlarmDraft(
                scenario_id=rule.id,
                scenario_version=rule.version,
                severity=rule.severity,
                suppress_seconds=rule.suppress_seconds,
                condition_key=condition_key(rule, person_id=person.person_id),
                summary=f"{rule.name}（{days} 天无通行记录）",
                cell_id=cell_id,
                occurred_at=now,
                occurrences=0,
                building_id=building_id,
                dwelling_id=dwelling_id,
                person_id=person.person_id,
                values={"last_pass_at": last, "days": days},
            )
        )
