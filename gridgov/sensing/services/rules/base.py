"""What the rule engine works with: events as stored, enabled scenarios as rules (kept by the
process for a few seconds), condition keys, and the outcome of a batch or a scan."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.utils import timezone

from gridgov.core.lookups import TimedLookup
from gridgov.sensing.models import Scenario
from gridgov.sensing.services.alarms import AlarmDraft, clear_conditions, raise_alarms

# An EVENT, OUTSIDE_HOURS or COUNT alarm not recurring for this long clears (when not given).
DEFAULT_QUIET_SECONDS = 600


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the insert stored it (what the engine reads; no query to fetch it)."""

    id: int
    device_id: int
    kind: str
    occurred_at: datetime
    values: dict[str, Any]
    state: str = ""
    person_card_hash: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """An enabled scenario as the engine reads it."""

    id: int
    code: str
    name: str
    kind: str
    categories: frozenset[str]
    kinds: frozenset[str]
    params: dict[str, Any]
    severity: str
    suppress_seconds: int
    version: int

    @property
    def heard_kinds(self) -> frozenset[str]:
        """The event kinds it reads (its own, and those that end or offset a condition);
        empty: every kind."""
        if not self.kinds:
            return frozenset()
        extra = (*self.params.get("end_kinds", ()), *self.params.get("subtract_kinds", ()))
        return self.kinds | frozenset(extra)

    def covers(self, category: str) -> bool:
        return not self.categories or category in self.categories


@dataclass(frozen=True, slots=True)
class Place:
    """Where a device is, and whether it was online before the batch now evaluated."""

    id: int
    name: str
    category: str
    cell_id: int | None
    building_id: int | None
    is_online: bool = True


@dataclass(frozen=True, slots=True)
class CardHolder:
    person_id: int
    tags: frozenset[str]
    contact_phone_encrypted: str


@dataclass
class Evaluation:
    """What one batch or one scan did."""

    raised: list[int] = field(default_factory=list)
    bumped: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    notified: int = 0


def _load_rules() -> tuple[Rule, ...]:
    return tuple(
        Rule(
            id=scenario.id,
            code=scenario.code,
            name=scenario.name,
            kind=scenario.kind,
            categories=frozenset(scenario.device_categories or ()),
            kinds=frozenset(scenario.event_kinds or ()),
            params=dict(scenario.params or {}),
            severity=scenario.severity,
            suppress_seconds=scenario.suppress_seconds,
            version=scenario.version,
        )
        for scenario in Scenario.objects.filter(enabled=True).order_by("id")
    )


_rules: TimedLookup[tuple[Rule, ...]] = TimedLookup(_load_rules)


def rules_forget() -> None:
    """Drop this process's copy of the enabled scenarios (after a scenario is saved)."""
    _rules.clear()


def condition_key(
    rule: Rule, *, device_id: int | None = None, person_id: int | None = None, card: str = ""
) -> str:
    """``<scenario id>:d:<device>``, ``…:p:<person>`` or ``…:c:<card hash>``."""
    if device_id is not None:
        return f"{rule.id}:d:{device_id}"
    if person_id is not None:
        return f"{rule.id}:p:{person_id}"
    return f"{rule.id}:c:{card}"


class Outcome:
    """The alarms a batch raises and the conditions it ends, in event order per condition."""

    def __init__(self) -> None:
        self.drafts: list[AlarmDraft] = []
        self.clear_after: dict[str, datetime] = {}

    def raise_for(self, draft: AlarmDraft) -> None:
        self.drafts.append(draft)
        self.clear_after.pop(draft.condition_key, None)

    def clear(self, key: str, at: datetime) -> None:
        self.clear_after[key] = at

    def apply(self, evaluation: Evaluation) -> None:
        """Raise, then clear; the conditions a batch ends are cleared at the latest ending time
        in it (a batch spans seconds: one statement instead of one per time)."""
        result = raise_alarms(self.drafts)
        evaluation.raised.extend(result.raised)
        evaluation.bumped.extend(result.bumped)
        if self.clear_after:
            at = max(self.clear_after.values())
            evaluation.cleared.extend(clear_conditions(self.clear_after, at=at))


def device_draft(
    rule: Rule, place: Place, event: StoredEvent, values: dict[str, Any], occurrences: int = 1
) -> AlarmDraft | None:
    """The alarm of a device's condition, placed in its cell and building (none without a cell)."""
    if place.cell_id is None:
        return None
    return AlarmDraft(
        scenario_id=rule.id,
        scenario_version=rule.version,
        severity=rule.severity,
        suppress_seconds=rule.suppress_seconds,
        condition_key=condition_key(rule, device_id=place.id),
        summary=f"{rule.name}：{place.name}",
        cell_id=place.cell_id,
        occurred_at=event.occurred_at,
        occurrences=occurrences,
        device_id=place.id,
        building_id=place.building_id,
        values=values,
    )


def matches(rule: Rule, event: StoredEvent) -> bool:
    wanted = rule.params.get("match") or {}
    return all(event.values.get(name) == value for name, value in wanted.items())


def local_time(moment: datetime) -> time:
    return timezone.localtime(moment, timezone.get_default_timezone()).time()


def within(windows: Iterable[str], moment: datetime) -> bool:
    """Whether the town's clock at ``moment`` falls in one of the ``HH:MM-HH:MM`` windows
    (a window whose end is before its start runs over midnight)."""
    now = local_time(moment)
    for window in windows:
        start_text, end_text = window.split("-")
        start = time.fromisoformat(start_text)
        end = time.max if end_text == "24:00" else time.fromisoformat(end_text)
        inside = start <= now < end if start <= end else now >= start or now < end
        if inside:
            return True
    return False


def draft_fields(draft: AlarmDraft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in AlarmDraft.__dataclass_fields__}


def enabled_rules() -> tuple[Rule, ...]:
    """The enabled scenarios as the engine sees them (this process's copy)."""
    return _rules.get()
