"""Raising and automatically clearing alarms (告警): one alarm per ongoing condition.

A condition is named by its ``condition_key`` (scenario and device, scenario and person, or
scenario and card). While an alarm of a key is not cleared, a new occurrence of the condition
bumps that alarm's ``occurrences`` and ``last_occurred_at`` instead of inserting another row:
the database allows one non-cleared alarm per key (``sensing_alarm_one_open_per_condition``),
so two ingesters raising the same condition at once still make one alarm. After an alarm is
cleared, the same condition raises nothing for the scenario's ``suppress_seconds``.

The rule engine (``gridgov.sensing.services.rules``) calls these with whole batches: the cost
is a fixed number of queries per batch plus a few per *new* alarm, never a query per event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, JSONField, Max, Value, When
from django.db.models.functions import Greatest

from gridgov.sensing.models import Alarm, AlarmStatus, AlarmStep
from gridgov.sensing.services.alarm_actions import alarm_raised

logger = logging.getLogger(__name__)

# The note of an automatic clearing (stored with the step, shown in the alarm's history).
CONDITION_ENDED_NOTE = "条件已结束，自动解除"


@dataclass(frozen=True, slots=True)
class AlarmDraft:
    """One condition seen ``occurrences`` times up to ``occurred_at``.

    ``occurrences=0`` makes sure an alarm exists without counting a new occurrence (what a
    periodic scan does: seeing a held-open door again at each scan is not a new occurrence).
    """

    scenario_id: int
    scenario_version: int
    severity: str
    suppress_seconds: int
    condition_key: str
    summary: str
    cell_id: int
    occurred_at: datetime
    first_occurred_at: datetime | None = None
    occurrences: int = 1
    device_id: int | None = None
    building_id: int | None = None
    dwelling_id: int | None = None
    person_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class RaiseResult:
    raised: list[int] = field(default_factory=list)  # new alarm ids
    bumped: list[int] = field(default_factory=list)  # existing alarm ids counted again
    suppressed: list[str] = field(default_factory=list)  # condition keys inside their window


def raise_alarms(drafts: Sequence[AlarmDraft]) -> RaiseResult:
    """Raise or bump one alarm per condition key (drafts of one key are merged).

    Queries: one to find the open alarms, one UPDATE per open alarm counted again, one for the
    last clearing of the keys without an open alarm, and a savepoint with two INSERTs per new
    alarm. A new alarm's ``alarm_raised`` runs after the commit.
    """
    merged = _merge(drafts)
    result = RaiseResult()
    if not merged:
        return result
    with transaction.atomic():
        open_ids = dict(
            Alarm.objects.filter(condition_key__in=list(merged))
            .exclude(status=AlarmStatus.CLEARED)
            .values_list("condition_key", "id")
        )
        result.bumped.extend(
            _bump_many([(alarm_id, merged[key]) for key, alarm_id in open_ids.items()])
        )
        missing = [merged[key] for key in merged if key not in open_ids]
        last_cleared = _last_cleared([draft.condition_key for draft in missing])
        for draft in missing:
            cleared_at = last_cleared.get(draft.condition_key)
            if cleared_at is not None and draft.occurred_at - cleared_at < timedelta(
                seconds=draft.suppress_seconds
            ):
                result.suppressed.append(draft.condition_key)
                continue
            alarm_id, is_new = _insert_or_bump(draft)
            (result.raised if is_new else result.bumped).append(alarm_id)
    for alarm_id in result.raised:
        # robust: a failure to notify is logged and never fails the batch that was stored.
        transaction.on_commit(_hand_on(alarm_id), robust=True)
    return result


def _hand_on(alarm_id: int) -> Callable[[], None]:
    def hand_on() -> None:
        alarm_raised(alarm_id)

    return hand_on


def raise_alarm(draft: AlarmDraft) -> int | None:
    """Raise or bump the alarm of one condition; its id, or ``None`` when suppressed."""
    result = raise_alarms([draft])
    ids = result.raised or result.bumped
    return ids[0] if ids else None


def _merge(drafts: Iterable[AlarmDraft]) -> dict[str, AlarmDraft]:
    merged: dict[str, AlarmDraft] = {}
    for draft in drafts:
        first = draft.first_occurred_at or draft.occurred_at
        earlier = merged.get(draft.condition_key)
        if earlier is None:
            merged[draft.condition_key] = _with(draft, first_occurred_at=first)
            continue
        latest = draft if draft.occurred_at >= earlier.occurred_at else earlier
        merged[draft.condition_key] = _with(
            latest,
            first_occurred_at=min(first, earlier.first_occurred_at or earlier.occurred_at),
            occurrences=earlier.occurrences + draft.occurrences,
        )
    return merged


def _with(draft: AlarmDraft, **changes: Any) -> AlarmDraft:
    fields = {name: getattr(draft, name) for name in AlarmDraft.__dataclass_fields__}
    fields.update(changes)
    return AlarmDraft(**fields)


def _bump(alarm_id: int, draft: AlarmDraft) -> bool:
    """One UPDATE: count the occurrences; the latest occurrence's time and values win against
    a concurrent bump of an earlier one."""
    if draft.occurrences <= 0:
        return False
    updated = (
        Alarm.objects.filter(pk=alarm_id)
        .exclude(status=AlarmStatus.CLEARED)
        .update(
            occurrences=F("occurrences") + draft.occurrences,
            last_occurred_at=Greatest(F("last_occurred_at"), draft.occurred_at),
            values=Case(
                When(
                    last_occurred_at__lte=draft.occurred_at,
                    then=Value(draft.values, output_field=JSONField()),
                ),
                default=F("values"),
            ),
        )
    )
    return updated == 1


def _bump_many(pairs: list[tuple[int, AlarmDraft]]) -> list[int]:
    """Bump many open alarms: on PostgreSQL one UPDATE … FROM unnest(…) whatever their number
    (a page of held-open doors is one statement), elsewhere one UPDATE each."""
    pairs = [(alarm_id, draft) for alarm_id, draft in pairs if draft.occurrences > 0]
    if not pairs:
        return []
    if connection.vendor != "postgresql":
        return [alarm_id for alarm_id, draft in pairs if _bump(alarm_id, draft)]
    table = connection.ops.quote_name(Alarm._meta.db_table)
    # Only the table name is interpolated; values go as array parameters.
    statement = (
        f"UPDATE {table} AS alarm SET occurrences = alarm.occurrences + bump.n, "  # noqa: S608
        "last_occurred_at = GREATEST(alarm.last_occurred_at, bump.at), "
        '"values" = CASE WHEN alarm.last_occurred_at <= bump.at THEN bump.vals '
        'ELSE alarm."values" END '
        "FROM unnest(%s::bigint[], %s::integer[], %s::timestamptz[], %s::text[]::jsonb[]) "
        "AS bump(id, n, at, vals) WHERE alarm.id = bump.id AND alarm.status <> %s "
        "RETURNING alarm.id"
    )
    parameters: list[Any] = [
        [alarm_id for alarm_id, _draft in pairs],
        [draft.occurrences for _id, draft in pairs],
        [draft.occurred_at for _id, draft in pairs],
        [json.dumps(draft.values, ensure_ascii=False) for _id, draft in pairs],
        AlarmStatus.CLEARED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        return [row[0] for row in cursor.fetchall()]


def _last_cleared(keys: list[str]) -> dict[str, datetime]:
    if not keys:
        return {}
    rows = (
        Alarm.objects.filter(condition_key__in=keys, status=AlarmStatus.CLEARED)
        .order_by()
        .values("condition_key")
        .annotate(last=Max("cleared_at"))
        .values_list("condition_key", "last")
    )
    return {key: last for key, last in rows if last is not None}


def _insert_or_bump(draft: AlarmDraft) -> tuple[int, bool]:
    """Insert the alarm and its RAISED step in a savepoint; if another process inserted the
    same condition meanwhile (the unique constraint refuses ours), count on that one instead."""
    raised_at = draft.first_occurred_at or draft.occurred_at
    alarm = Alarm(
        scenario_id=draft.scenario_id,
        scenario_version=draft.scenario_version,
        condition_key=draft.condition_key,
        severity=draft.severity,
        summary=draft.summary[:200],
        device_id=draft.device_id,
        cell_id=draft.cell_id,
        building_id=draft.building_id,
        dwelling_id=draft.dwelling_id,
        person_id=draft.person_id,
        raised_at=raised_at,
        last_occurred_at=draft.occurred_at,
        occurrences=max(draft.occurrences, 1),
        values=draft.values,
    )
    try:
        with transaction.atomic():
            alarm.save(force_insert=True)
            AlarmStep.objects.create(alarm=alarm, action=AlarmStep.Action.RAISED, at=raised_at)
    except IntegrityError:
        existing = (
            Alarm.objects.filter(condition_key=draft.condition_key)
            .exclude(status=AlarmStatus.CLEARED)
            .values_list("id", flat=True)
            .first()
        )
        if existing is None:
            raise
        _bump(existing, draft)
        return existing, False
    return alarm.pk, True


def clear_conditions(
    condition_keys: Iterable[str], *, at: datetime, note: str = CONDITION_ENDED_NOTE
) -> list[int]:
    """Clear the open alarms of these conditions because the condition ended (自动解除).

    Three queries whatever the number of keys: find, update, append the CLEARED steps.
    """
    keys = list(dict.fromkeys(condition_keys))
    if not keys:
        return []
    with transaction.atomic():
        alarm_ids = list(
            Alarm.objects.select_for_update()
            .filter(condition_key__in=keys)
            .exclude(status=AlarmStatus.CLEARED)
            .values_list("id", flat=True)
        )
        if not alarm_ids:
            return []
        Alarm.objects.filter(pk__in=alarm_ids).update(
            status=AlarmStatus.CLEARED, cleared_at=at, clear_note=note[:500]
        )
        AlarmStep.objects.bulk_create(
            [
                AlarmStep(alarm_id=alarm_id, action=AlarmStep.Action.CLEARED, at=at, note=note)
                for alarm_id in alarm_ids
            ]
        )
    return alarm_ids


def clear_condition(condition_key: str, *, at: datetime, note: str = CONDITION_ENDED_NOTE) -> bool:
    """Clear the open alarm of one condition; whether there was one."""
    return bool(clear_conditions([condition_key], at=at, note=note))
