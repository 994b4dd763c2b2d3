"""Access-control analytics (门禁分析): gate flows and people not seen passing a gate.

These are internal queries without an actor: callers that show their results to a user go
through ``gridgov.sensing.selectors_access``, which scopes by the user's area; the rule engine
calls ``people_not_passed_since`` directly for the "expected pass missing" scenario.

A pass is an event of kind ``card_pass`` from an access-control gate, carrying the keyed hash
of the card (``Event.person_card_hash``, the hash ``AccessCard.card_hash`` holds) and
``values.direction`` = ``in`` or ``out``. The partial index ``sensing_event_card_pass`` on
(person_card_hash, occurred_at) where kind = 'card_pass' makes a card's last pass one index
probe, so the absence scan costs one probe per card of the tagged people, whatever the number
of passes stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncHour

from gridgov.sensing.models import AccessCard, DeviceCategory, Event

CARD_PASS = "card_pass"  # noqa: S105 - an event kind
DIRECTION_IN = "in"
DIRECTION_OUT = "out"
# Passes are counted by the hour of the town's clock (China Standard Time, no daylight saving).
TOWN_TIME = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class AbsentPerson:
    """A tagged person none of whose active cards has passed a gate since the cut-off.

    ``last_pass_at`` is ``None`` when no card of theirs ever passed.
    """

    person_id: int
    cell_id: int | None
    dwelling_id: int | None
    last_pass_at: datetime | None


def people_not_passed_since(
    *, tag_code: str, since: datetime, cell_ids: list[int] | None = None
) -> list[AbsentPerson]:
    """People with the tag ``tag_code`` (e.g. ``elderly-alone``, 独居老人) holding an active
    access card, none of whose active cards has a ``card_pass`` at or after ``since``.

    ``cell_ids`` limits it to people registered in those cells (``None``: everywhere). A person
    whose every card was issued after ``since`` is left out (too early to tell). One query;
    oldest last pass first, never-passed first of all.
    """
    last_pass = (
        Event.objects.filter(kind=CARD_PASS, person_card_hash=OuterRef("card_hash"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    cards = AccessCard.objects.filter(
        is_active=True,
        person__is_deceased=False,
        person__person_tags__tag__code=tag_code,
    )
    if cell_ids is not None:
        cards = cards.filter(person__cell_id__in=cell_ids)
    rows = (
        cards.annotate(last_pass=Subquery(last_pass))
        .order_by()
        .values_list("person_id", "person__cell_id", "dwelling_id", "issued_at", "last_pass")
    )
    people: dict[int, _Seen] = {}
    recent: set[int] = set()
    for person_id, cell_id, dwelling_id, issued_at, passed_at in rows.iterator(chunk_size=5000):
        if passed_at is not None and passed_at >= since:
            recent.add(person_id)
            continue
        seen = people.get(person_id)
        if seen is None:
            people[person_id] = _Seen(cell_id, dwelling_id, passed_at, issued_at)
            continue
        if passed_at is not None and (seen.last_pass_at is None or passed_at > seen.last_pass_at):
            seen.last_pass_at = passed_at
        seen.first_issued_at = min(seen.first_issued_at, issued_at)
        seen.dwelling_id = seen.dwelling_id or dwelling_id
    absent = [
        AbsentPerson(
            person_id=person_id,
            cell_id=seen.cell_id,
            dwelling_id=seen.dwelling_id,
            last_pass_at=seen.last_pass_at,
        )
        for person_id, seen in people.items()
        if person_id not in recent
        and (seen.last_pass_at is not None or seen.first_issued_at < since)
    ]
    absent.sort(key=lambda person: (person.last_pass_at or _NEVER, person.person_id))
    return absent


@dataclass(slots=True)
class _Seen:
    cell_id: int | None
    dwelling_id: int | None
    last_pass_at: datetime | None
    first_issued_at: datetime


_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class GateHour:
    """Passes through one gate in one hour (town time), by direction."""

    device_id: int
    hour: datetime
    passes_in: int
    passes_out: int


def gate_flows(
    *, occurred_from: datetime, occurred_to: datetime, device_filter: Q | None = None
) -> list[GateHour]:
    """Passes in and out per gate and hour over [from, to), one aggregate query.

    ``device_filter`` is a condition on the event's device (through ``device__``), e.g. the
    acting user's visibility and the chosen cell. A pass without a direction counts as in.
    """
    events = Event.objects.filter(
        kind=CARD_PASS,
        occurred_at__gte=occurred_from,
        occurred_at__lt=occurred_to,
        device__category=DeviceCategory.ACCESS_CONTROL,
    )
    if device_filter is not None:
        events = events.filter(device_filter)
    rows = (
        events.annotate(
            hour=TruncHour("occurred_at", tzinfo=TOWN_TIME),
            direction=KeyTextTransform("direction", "values"),
        )
        .order_by()
        .values("device_id", "hour", "direction")
        .annotate(total=Count("id"))
    )
    counts: dict[tuple[int, datetime], list[int]] = {}
    for row in rows:
        entry = counts.setdefault((row["device_id"], row["hour"]), [0, 0])
        entry[1 if row["direction"] == DIRECTION_OUT else 0] += row["total"]
    return [
        GateHour(device_id=device_id, hour=hour, passes_in=entry[0], passes_out=entry[1])
        for (device_id, hour), entry in sorted(counts.items())
    ]


def hourly_totals(flows: Sequence[GateHour]) -> list[tuple[datetime, int, int]]:
    """(hour, in, out) summed over the gates, in time order."""
    totals: dict[datetime, list[int]] = {}
    for flow in flows:
        entry = totals.setdefault(flow.hour, [0, 0])
        entry[0] += flow.passes_in
        entry[1] += flow.passes_out
    return [(hour, entry[0], entry[1]) for hour, entry in sorted(totals.items())]
