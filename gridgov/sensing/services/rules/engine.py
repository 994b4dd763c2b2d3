"""Evaluating a batch of newly stored events (the entry point ``evaluate_events``)."""

from __future__ import annotations

import bisect
import operator
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from gridgov.core.notifications import Notification, notify
from gridgov.registry.services.protection import PHONE_CONTEXT
from gridgov.sensing.access import CARD_PASS
from gridgov.sensing.models import (
    AccessCard,
    Device,
    Event,
    ScenarioKind,
)
from gridgov.sensing.services.alarms import AlarmDraft
from gridgov.sensing.services.rules.base import (
    CardHolder,
    Evaluation,
    Outcome,
    Place,
    Rule,
    StoredEvent,
    condition_key,
    device_draft,
    enabled_rules,
    local_time,
    matches,
    within,
)
from gridgov.sensing.services.rules.states import track_states

ARRIVAL_SMS = "【平安提醒】您关注的家人已于{at}经{gate}进入小区。"
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


# --- batch evaluation -----------------------------------------------------------------------


def evaluate_events(
    events: Sequence[StoredEvent], *, places: Mapping[int, Place] | None = None
) -> Evaluation:
    """Evaluate the enabled scenarios on a batch of newly stored events.

    ``places``: the batch's devices as the caller already read them (ingestion does, before
    marking them seen); without it they are read here in one query.
    """
    evaluation = Evaluation()
    rules = enabled_rules()
    if not rules or not events:
        return evaluation
    ordered = sorted(events, key=lambda event: (event.occurred_at, event.id))
    if places is None:
        places = _places({event.device_id for event in ordered})
    outcome = Outcome()
    of_kind: dict[str, list[StoredEvent]] = defaultdict(list)
    for event in ordered:
        of_kind[event.kind].append(event)
    rules_of_kind: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        rules_of_kind[rule.kind].append(rule)
    _clear_offline(rules_of_kind[ScenarioKind.MISSING], ordered, places, outcome)
    states = track_states(ordered) if rules_of_kind[ScenarioKind.HELD] else {}
    heard = {rule.id: _heard(rule, ordered, of_kind) for rule in rules}
    cards = _card_holders(rules, [event for events in heard.values() for event in events])
    for rule in rules:
        relevant = [
            event
            for event in heard[rule.id]
            if event.device_id in places and rule.covers(places[event.device_id].category)
        ]
        if not relevant:
            continue
        if rule.kind == ScenarioKind.THRESHOLD:
            _threshold(rule, relevant, places, outcome)
        elif rule.kind == ScenarioKind.HELD:
            _held(rule, relevant, places, states, outcome)
        elif rule.kind == ScenarioKind.EVENT:
            _event(rule, relevant, places, outcome)
        elif rule.kind == ScenarioKind.OUTSIDE_HOURS:
            _outside_hours(rule, relevant, places, outcome)
        elif rule.kind == ScenarioKind.COUNT:
            _count(rule, relevant, places, cards, outcome)
        elif rule.kind == ScenarioKind.MISSING:
            _person_seen(rule, relevant, cards, outcome)
        elif rule.kind == ScenarioKind.ARRIVAL:
            evaluation.notified += _arrival(rule, relevant, places, cards)
    outcome.apply(evaluation)
    return evaluation


def _heard(
    rule: Rule, ordered: list[StoredEvent], of_kind: Mapping[str, list[StoredEvent]]
) -> list[StoredEvent]:
    """The batch's events of the kinds the rule reads, in time order."""
    kinds = rule.heard_kinds
    if not kinds:
        return ordered
    lists = [of_kind[kind] for kind in kinds if kind in of_kind]
    if len(lists) == 1:
        return lists[0]
    return sorted(
        (event for events in lists for event in events),
        key=lambda event: (event.occurred_at, event.id),
    )


def _places(device_ids: set[int]) -> dict[int, Place]:
    if not device_ids:
        return {}
    return {
        row[0]: Place(*row)
        for row in Device.objects.filter(id__in=device_ids).values_list(
            "id", "name", "category", "cell_id", "building_id", "is_online"
        )
    }


def _card_holders(rules: Sequence[Rule], events: Sequence[StoredEvent]) -> dict[str, CardHolder]:
    """The people behind the batch's cards, with their tags: one query (a row per tag), only
    when a scenario needs them."""
    needs_people = any(
        rule.kind in (ScenarioKind.ARRIVAL, ScenarioKind.MISSING)
        or rule.params.get("unknown_cards_only")
        for rule in rules
    )
    hashes = {event.person_card_hash for event in events if event.person_card_hash}
    if not needs_people or not hashes:
        return {}
    rows = AccessCard.objects.filter(card_hash__in=hashes).values_list(
        "card_hash",
        "person_id",
        "person__contact_phone_encrypted",
        "person__person_tags__tag__code",
    )
    people: dict[str, tuple[int, str]] = {}
    tags: dict[str, set[str]] = defaultdict(set)
    for card_hash, person_id, phone, tag_code in rows:
        people[card_hash] = (person_id, phone or "")
        if tag_code:
            tags[card_hash].add(tag_code)
    return {
        card_hash: CardHolder(person_id, frozenset(tags[card_hash]), phone)
        for card_hash, (person_id, phone) in people.items()
    }


def _clear_offline(
    rules: Sequence[Rule],
    events: Sequence[StoredEvent],
    places: Mapping[int, Place],
    outcome: Outcome,
) -> None:
    """A device heard from again ends its device-offline condition. Only devices that were
    offline are looked at (the scan clears any alarm a race left on a device back online)."""
    returned = {
        event.device_id
        for event in events
        if event.device_id in places and not places[event.device_id].is_online
    }
    if not returned:
        return
    latest = events[-1].occurred_at
    for rule in rules:
        if rule.params.get("subject") == "device":
            for device_id in returned:
                outcome.clear(condition_key(rule, device_id=device_id), latest)


def _threshold(
    rule: Rule, events: Sequence[StoredEvent], places: Mapping[int, Place], outcome: Outcome
) -> None:
    params = rule.params
    name, limit = params["value"], float(params["limit"])
    beyond = _OPERATORS[params["op"]]
    margin = float(params.get("hysteresis") or 0)
    # Back within: past the limit by the hysteresis, on the good side.
    back = limit - margin if params["op"] in (">", ">=") else limit + margin
    for event in events:
        value = event.values.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        key = condition_key(rule, device_id=event.device_id)
        if beyond(value, limit):
            draft = device_draft(rule, places[event.device_id], event, {name: value})
            if draft is not None:
                outcome.raise_for(draft)
        elif (value <= back) if params["op"] in (">", ">=") else (value >= back):
            outcome.clear(key, event.occurred_at)


def _held(
    rule: Rule,
    events: Sequence[StoredEvent],
    places: Mapping[int, Place],
    states: dict[int, tuple[str, datetime]],
    outcome: Outcome,
) -> None:
    """A report of the held state after the limit is one occurrence; another state ends it."""
    target, limit = rule.params["state"], timedelta(seconds=rule.params["seconds"])
    for event in events:
        if not event.state or event.device_id not in states:
            continue
        state, since = states[event.device_id]
        if event.state == target and state == target and event.occurred_at - since >= limit:
            draft = device_draft(
                rule, places[event.device_id], event, {"state": target, "since": since.isoformat()}
            )
            if draft is not None:
                outcome.raise_for(draft)
        elif event.state != target:
            outcome.clear(condition_key(rule, device_id=event.device_id), event.occurred_at)


def _event(
    rule: Rule, events: Sequence[StoredEvent], places: Mapping[int, Place], outcome: Outcome
) -> None:
    end_kinds = set(rule.params.get("end_kinds") or ())
    end_states = set(rule.params.get("end_states") or ())
    for event in events:
        if event.kind in end_kinds or (event.state and event.state in end_states):
            outcome.clear(condition_key(rule, device_id=event.device_id), event.occurred_at)
        elif event.kind in rule.kinds and matches(rule, event):
            draft = device_draft(rule, places[event.device_id], event, {"kind": event.kind})
            if draft is not None:
                outcome.raise_for(draft)


def _outside_hours(
    rule: Rule, events: Sequence[StoredEvent], places: Mapping[int, Place], outcome: Outcome
) -> None:
    allowed = rule.params["allowed"]
    for event in events:
        if matches(rule, event) and not within(allowed, event.occurred_at):
            local = local_time(event.occurred_at).strftime("%H:%M")
            draft = device_draft(
                rule, places[event.device_id], event, {"kind": event.kind, "local_time": local}
            )
            if draft is not None:
                outcome.raise_for(draft)


def _count(
    rule: Rule,
    events: Sequence[StoredEvent],
    places: Mapping[int, Place],
    cards: dict[str, CardHolder],
    outcome: Outcome,
) -> None:
    """≥ ``count`` events (less those of ``subtract_kinds``) of one group in ``window_seconds``.

    The window's history is read in one query for the batch's groups; each new event is then
    counted with a binary search over its group's sorted times.
    """
    params = rule.params
    by_card = params.get("group_by") == "card"
    hours = params.get("hours")
    window = timedelta(seconds=params["window_seconds"])
    subtract = set(params.get("subtract_kinds") or ())

    wanted = params.get("match") or {}

    def counted(card: str, at: datetime, values: dict[str, Any]) -> bool:
        if hours and not within(hours, at):
            return False
        if any(values.get(name) != value for name, value in wanted.items()):
            return False
        return not (by_card and (not card or (params.get("unknown_cards_only") and card in cards)))

    candidates = [
        event
        for event in events
        if event.kind in rule.kinds
        and counted(event.person_card_hash, event.occurred_at, event.values)
    ]
    if not candidates:
        return
    groups = {event.person_card_hash if by_card else event.device_id for event in candidates}
    history = Event.objects.filter(
        kind__in=rule.kinds | subtract,
        occurred_at__gte=candidates[0].occurred_at - window,
        occurred_at__lte=candidates[-1].occurred_at,
    )
    if by_card:
        history = history.filter(person_card_hash__in=groups)
        if rule.categories:
            history = history.filter(device__category__in=rule.categories)
    else:
        history = history.filter(device_id__in=groups)
    plus: dict[Any, list[datetime]] = defaultdict(list)
    minus: dict[Any, list[datetime]] = defaultdict(list)
    fields = ["device_id", "person_card_hash", "kind", "occurred_at"]
    if wanted:
        fields.append("values")  # only when the scenario matches on values
    for device_id, card, kind, at, *values in history.order_by("occurred_at").values_list(*fields):
        group = card if by_card else device_id
        if kind in subtract:
            minus[group].append(at)
        elif counted(card, at, values[0] if values else {}):
            plus[group].append(at)
    for event in candidates:
        group = event.person_card_hash if by_card else event.device_id
        start = event.occurred_at - window
        seen = _in_window(plus[group], start, event.occurred_at)
        seen -= _in_window(minus[group], start, event.occurred_at)
        if seen >= params["count"]:
            draft = _count_draft(rule, places[event.device_id], event, by_card, seen)
            if draft is not None:
                outcome.raise_for(draft)


def _in_window(times: list[datetime], start: datetime, end: datetime) -> int:
    return bisect.bisect_right(times, end) - bisect.bisect_left(times, start)


def _count_draft(
    rule: Rule, place: Place, event: StoredEvent, by_card: bool, seen: int
) -> AlarmDraft | None:
    draft = device_draft(rule, place, event, {"count": seen})
    if draft is None or not by_card:
        return draft
    # One condition per card, wherever it is seen; the place is where it was seen last.
    return AlarmDraft(
        **{
            **{name: getattr(draft, name) for name in AlarmDraft.__dataclass_fields__},
            "condition_key": condition_key(rule, card=event.person_card_hash),
        }
    )


def _person_seen(
    rule: Rule,
    events: Sequence[StoredEvent],
    cards: dict[str, CardHolder],
    outcome: Outcome,
) -> None:
    """A pass of a person's card ends their "not seen for days" condition."""
    if rule.params.get("subject") != "person":
        return
    for event in events:
        holder = cards.get(event.person_card_hash)
        if event.kind == CARD_PASS and holder is not None:
            outcome.clear(condition_key(rule, person_id=holder.person_id), event.occurred_at)


def _arrival(
    rule: Rule,
    events: Sequence[StoredEvent],
    places: Mapping[int, Place],
    cards: dict[str, CardHolder],
) -> int:
    """A tagged person's pass in → an SMS to their contact phone, once per person and hour.

    No alarm is recorded: an arrival is good news, not a condition anyone must handle; the
    notification row (deduplicated, delivered and retried by the SMS sender) is the record.
    """
    tags = set(rule.params["tags"])
    direction = rule.params.get("direction", "in")
    sent = 0
    told: set[tuple[int, str]] = set()
    for event in events:
        holder = cards.get(event.person_card_hash)
        if holder is None or not holder.contact_phone_encrypted or not tags & holder.tags:
            continue
        if direction != "any" and event.values.get("direction") != direction:
            continue
        local = timezone.localtime(event.occurred_at, timezone.get_default_timezone())
        hour = local.strftime("%Y%m%d%H")
        if (holder.person_id, hour) in told:
            continue
        told.add((holder.person_id, hour))
        created = notify(
            recipient_id=None,
            subject=rule.name,
            body=ARRIVAL_SMS.format(
                at=local.strftime("%m月%d日 %H:%M"), gate=places[event.device_id].name
            ),
            dedupe_key=f"sensing-arrival:{rule.id}:{holder.person_id}:{hour}",
            sms_phone_encrypted=holder.contact_phone_encrypted,
            sms_phone_context=PHONE_CONTEXT,
            channels=(Notification.Channel.SMS,),
        )
        sent += len(created)
    return sent
