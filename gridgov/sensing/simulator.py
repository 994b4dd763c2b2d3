"""The demo town's devices, simulated (``gridgov simulate-devices``).

The simulator drives the registered devices of the demo town with realistic streams —
heartbeats at each device's interval, readings (meters, hydrant pressure, gas, bin fill),
camera and AI-box detections, unit doors opening and closing, and residents passing the gates
with their cards on a daily rhythm (out in the morning, back in the evening; elders mostly in
the daytime; some elders living alone never, so the absence list has names) — and injects one
incident of every scenario of the catalogue in turn (a door held open, an e-bike in an
elevator, smoke, gas, a bag dropped at night, a stranger three times at night, tailgating, a
device going silent, a child coming home …).

It sends what real devices send: native events (``docs/devices.md``) over HTTP, batched per
device, with ``Authorization: Device <code>:<secret>``, or over MQTT (QoS 1, topic
``gridgov/devices/<code>/events``). Times are the town's (+08:00); ``event_id`` is
``<code>-<run>-<n>``: unique per device, and the same for the same run start.

Credentials: the platform keeps only digests of device secrets, so for HTTP the simulator
re-issues the secrets of the devices it drives (``services.demo_credentials``: only when
``GRIDGOV_DEMO`` is true, audited as one system action) and keeps them in memory only.

At a modest rate the simulator drives only as many estates as its rate can keep alive (the
heartbeats of the driven devices take at most half of it) plus one device of each category an
incident needs; the other devices stay silent, never seen, and raise nothing.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from gridgov.core.crypto import lookup_hash
from gridgov.registry.models import PersonTag
from gridgov.registry.services.tags import TAG_ADVANCED_AGE, TAG_ELDERLY_ALONE, TAG_MINOR
from gridgov.sensing.access import TOWN_TIME
from gridgov.sensing.adapters import native_topic
from gridgov.sensing.models import AccessCard, Device, DeviceCategory

HEARTBEAT_SHARE = 0.5  # at most this part of the rate goes to heartbeats
NEVER_PASSING_SHARE = 0.3  # of the elders living alone: stay home, never pass a gate
SILENCE_SECONDS = 600  # a device "going silent" is silent this long
MAX_EVENTS_PER_POST = 500

Event = dict[str, Any]
Batch = list[tuple[str, Event]]


def demo_card_number(person_id: int) -> str:
    """The demo card number of a person: the demo generation issues the card with it (storing
    only its keyed hash), the simulator passes the gates with it."""
    return "D" + hashlib.sha256(f"gridgov-demo-card:{person_id}".encode()).hexdigest()[:15].upper()


# ---- the town as the simulator sees it --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimDevice:
    code: str
    category: str
    interval: int
    estate_id: int | None
    building_id: int | None


@dataclass(slots=True)
class SimCard:
    number: str
    person_id: int
    building_id: int | None
    estate_id: int | None
    rhythm: str  # "worker", "elder", "child" or "home" (never passes)
    tags: frozenset[str]
    inside: bool = True
    leaves: float = 8.0  # town-time hours
    returns: float = 18.0


@dataclass
class SimTown:
    devices: list[SimDevice]
    cards: list[SimCard]

    def of(self, category: str) -> list[SimDevice]:
        return [device for device in self.devices if device.category == category]


def _load_devices() -> list[SimDevice]:
    return [
        SimDevice(
            code=code,
            category=category,
            interval=interval,
            estate_id=estate_id,
            building_id=building_id,
        )
        for code, category, interval, estate_id, building_id in Device.objects.filter(
            is_active=True
        )
        .exclude(category=DeviceCategory.GATEWAY)
        .order_by("estate_id", "code")
        .values_list("code", "category", "heartbeat_interval_seconds", "estate_id", "building_id")
    ]


# Categories an incident needs one device of.
INCIDENT_CATEGORIES = (
    DeviceCategory.DOOR_SENSOR,
    DeviceCategory.PARKING_SENSOR,
    DeviceCategory.ELEVATOR_EBIKE_DETECTOR,
    DeviceCategory.AI_BOX,
    DeviceCategory.SMOKE_DETECTOR,
    DeviceCategory.GAS_DETECTOR,
    DeviceCategory.HIGH_ALTITUDE_CAMERA,
    DeviceCategory.SMART_BIN,
    DeviceCategory.CAMERA,
    DeviceCategory.MANHOLE_COVER,
    DeviceCategory.HYDRANT_PRESSURE,
    DeviceCategory.WATER_METER,
    DeviceCategory.ACCESS_CONTROL,
)


def choose_driven(devices: list[SimDevice], rate: float) -> list[SimDevice]:
    """Whole estates in order while their heartbeats fit in ``HEARTBEAT_SHARE`` of ``rate``,
    then one device of each incident category still missing."""
    by_estate: dict[int | None, list[SimDevice]] = defaultdict(list)
    for device in devices:
        by_estate[device.estate_id].append(device)
    budget = rate * HEARTBEAT_SHARE
    driven: list[SimDevice] = []
    load = 0.0
    for estate_devices in by_estate.values():
        estate_load = sum(1 / device.interval for device in estate_devices)
        if driven and load + estate_load > budget:
            continue
        driven.extend(estate_devices)
        load += estate_load
    present = {device.category for device in driven}
    for category in INCIDENT_CATEGORIES:
        if category not in present:
            extra = next((d for d in devices if d.category == category), None)
            if extra is not None:
                driven.append(extra)
    return driven


def _rhythm(rng: random.Random, card: SimCard) -> None:
    if card.rhythm == "worker":
        card.leaves = rng.uniform(6.5, 9.0)
        card.returns = rng.uniform(17.0, 20.5)
    elif card.rhythm == "child":
        card.leaves = rng.uniform(6.8, 7.8)
        card.returns = rng.uniform(15.5, 17.5)
    elif card.rhythm == "elder":
        card.leaves = rng.uniform(8.0, 10.5)
        card.returns = card.leaves + rng.uniform(0.8, 3.5)


def load_town(*, rate: float, seed: int = 0) -> SimTown:
    """The devices the simulator drives at ``rate`` and the cards of their estates' residents.

    Only cards whose number is the demo's (``demo_card_number``) are used.
    """
    rng = random.Random(f"{seed}:simulator-town")
    driven = choose_driven(_load_devices(), rate)
    estates = {
        device.estate_id
        for device in driven
        if device.category == "access_control" and device.estate_id is not None
    }
    tags: dict[int, set[str]] = defaultdict(set)
    rows = list(
        AccessCard.objects.filter(is_active=True, dwelling__building__estate_id__in=estates)
        .order_by("id")
        .values_list(
            "person_id", "card_hash", "dwelling__building_id", "dwelling__building__estate_id"
        )
    )
    for person_id, code in PersonTag.objects.filter(
        person_id__in=[row[0] for row in rows],
        tag__code__in=[TAG_ELDERLY_ALONE, TAG_ADVANCED_AGE, TAG_MINOR],
    ).values_list("person_id", "tag__code"):
        tags[person_id].add(code)
    cards = []
    for person_id, card_hash, building_id, estate_id in rows:
        number = demo_card_number(person_id)
        if lookup_hash(number) != card_hash:
            continue
        person_tags = frozenset(tags.get(person_id, ()))
        if TAG_MINOR in person_tags:
            rhythm = "child"
        elif TAG_ELDERLY_ALONE in person_tags:
            rhythm = "home" if rng.random() < NEVER_PASSING_SHARE else "elder"
        elif TAG_ADVANCED_AGE in person_tags:
            rhythm = "elder"
        else:
            rhythm = "worker" if rng.random() < 0.85 else "elder"
        card = SimCard(number, person_id, building_id, estate_id, rhythm, person_tags)
        _rhythm(rng, card)
        cards.append(card)
    return SimTown(devices=driven, cards=cards)


# ---- streams ---------------------------------------------------------------------------------


def town_time(moment: datetime) -> str:
    return moment.astimezone(TOWN_TIME).isoformat(timespec="milliseconds")


def _hour(moment: datetime) -> float:
    local = moment.astimezone(TOWN_TIME)
    return local.hour + local.minute / 60 + local.second / 3600


def _in_windows(moment: datetime, windows: Iterable[tuple[float, float]]) -> bool:
    hour = _hour(moment)
    return any(
        (start <= hour < end) if start <= end else (hour >= start or hour < end)
        for start, end in windows
    )


def _last_at(moment: datetime, hour: int, minute: int = 0) -> datetime:
    """The latest town-time ``hour:minute`` at or before ``moment``."""
    local = moment.astimezone(TOWN_TIME)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate > local:
        candidate -= timedelta(days=1)
    return candidate


@dataclass(order=True)
class _Pending:
    due: float  # epoch seconds
    seq: int
    code: str = field(compare=False)
    event: Event = field(compare=False)


class Simulator:
    """Produces the events due in each tick; ``tick(now, seconds)`` is the only entry point."""

    def __init__(
        self,
        town: SimTown,
        *,
        rate: float,
        incident_every: float,
        started_at: datetime,
        seed: int = 0,
    ) -> None:
        self.town = town
        self.rate = rate
        self.incident_every = incident_every
        self.rng = random.Random(f"{seed}:simulator:{int(started_at.timestamp())}")
        self.run_id = format(int(started_at.timestamp()), "x")
        self.counters: dict[str, int] = defaultdict(int)
        self.pending: list[_Pending] = []
        self.seq = 0
        self.credit = 0.0
        self.silenced: dict[str, float] = {}
        # Devices in use until then (a door open, a car parked): no other traffic meanwhile.
        self.busy: dict[str, float] = {}
        # Devices in an incident until it ends: not taken by another one.
        self.in_incident: dict[str, float] = {}
        self.incidents_sent: list[str] = []
        self.next_incident = started_at.timestamp() + min(5.0, incident_every)
        self.incident_index = 0
        self.readings: dict[str, float] = {}
        self.by_category: dict[str, list[SimDevice]] = defaultdict(list)
        for device in town.devices:
            self.by_category[device.category].append(device)
        self.gates: dict[int | None, list[SimDevice]] = defaultdict(list)
        for device in self.by_category[DeviceCategory.ACCESS_CONTROL]:
            self.gates[device.building_id].append(device)
        self.heartbeats: list[tuple[float, str]] = []
        start = started_at.timestamp()
        for device in town.devices:
            # The first heartbeats spread over half a minute: the town comes online at once,
            # without a burst.
            first = start + self.rng.uniform(0, min(device.interval, 30))
            self.heartbeats.append((first, device.code))
        heapq.heapify(self.heartbeats)
        self.intervals = {device.code: device.interval for device in town.devices}

    # -- helpers --

    def event(self, code: str, kind: str, at: datetime, **fields: Any) -> Event:
        self.counters[code] += 1
        event: Event = {
            "event_id": f"{code}-{self.run_id}-{self.counters[code]}",
            "kind": kind,
            "at": town_time(at),
        }
        event.update({key: value for key, value in fields.items() if value is not None})
        return event

    def later(
        self, due: datetime, code: str, kind: str, at: datetime | None = None, **f: Any
    ) -> None:
        self.seq += 1
        heapq.heappush(
            self.pending,
            _Pending(due.timestamp(), self.seq, code, self.event(code, kind, at or due, **f)),
        )

    def pick(self, category: str) -> SimDevice | None:
        """A device of ``category`` neither silent nor in an incident."""
        devices = [
            d
            for d in self.by_category.get(category, [])
            if d.code not in self.silenced
            and d.code not in self.busy
            and d.code not in self.in_incident
        ]
        return self.rng.choice(devices) if devices else None

    def take(self, category: str) -> SimDevice | None:
        """A device for an incident: a free one, else one in ordinary use, whose pending
        ordinary events are dropped (they would undo the incident)."""
        device = self.pick(category)
        if device is not None:
            return device
        devices = [
            d
            for d in self.by_category.get(category, [])
            if d.code not in self.silenced and d.code not in self.in_incident
        ]
        if not devices:
            return None
        device = self.rng.choice(devices)
        self.pending = [item for item in self.pending if item.code != device.code]
        heapq.heapify(self.pending)
        self.busy.pop(device.code, None)
        return device

    def hold(self, code: str, until: datetime, *, incident: bool = False) -> None:
        """Keep other traffic away from the device until ``until`` (an incident's end)."""
        held = self.in_incident if incident else self.busy
        held[code] = max(held.get(code, 0.0), until.timestamp() + 1)

    # -- one tick --

    def tick(self, now: datetime, seconds: float = 1.0) -> Batch:
        """The events to send for the ``seconds`` up to ``now``."""
        stamp = now.timestamp()
        for held in (self.silenced, self.busy, self.in_incident):
            for code, until in list(held.items()):
                if until <= stamp:
                    del held[code]
        out: Batch = []
        while self.pending and self.pending[0].due <= stamp:
            item = heapq.heappop(self.pending)
            if item.code not in self.silenced:
                out.append((item.code, item.event))
        if self.incident_every > 0 and stamp >= self.next_incident:
            self.next_incident = stamp + self.incident_every
            out.extend(self.incident(now))
        while self.heartbeats and self.heartbeats[0][0] <= stamp:
            _due, code = heapq.heappop(self.heartbeats)
            heapq.heappush(self.heartbeats, (stamp + self.intervals[code], code))
            if code not in self.silenced:
                out.append((code, self.heartbeat(code, now)))
        self.credit += self.rate * seconds - len(out)
        self.credit = max(min(self.credit, self.rate * 2), -self.rate * 2)
        attempts = 0
        while self.credit >= 1 and attempts < self.rate * 4 + 10:
            attempts += 1
            produced = self.background(now)
            out.extend(produced)
            self.credit -= len(produced)
        return out

    def heartbeat(self, code: str, now: datetime) -> Event:
        return self.event(code, "heartbeat", now, values={"battery": self.rng.randint(60, 100)})

    # -- ordinary life --

    def background(self, now: datetime) -> Batch:
        roll = self.rng.random()
        if roll < 0.45:
            return self.card_pass(now)
        if roll < 0.60:
            return self.door(now)
        if roll < 0.80:
            return self.reading(now)
        return self.detection(now)

    def wanted_outside(self, card: SimCard, now: datetime) -> bool:
        if card.rhythm == "home":
            return False
        hour = _hour(now)
        return card.leaves <= hour < card.returns

    def card_pass(self, now: datetime) -> Batch:
        cards = self.town.cards
        if not cards:
            return self.reading(now)
        for _attempt in range(30):
            card = cards[self.rng.randrange(len(cards))]
            outside = self.wanted_outside(card, now)
            if outside == card.inside:  # wants to be where it is not
                return self.pass_gate(card, now, "out" if outside else "in")
        # Nobody due: an errand (a short trip out or back) now and then.
        card = cards[self.rng.randrange(len(cards))]
        if card.rhythm == "home" or not 6 <= _hour(now) < 22:
            return self.reading(now)
        return self.pass_gate(card, now, "out" if card.inside else "in")

    def pass_gate(self, card: SimCard, now: datetime, direction: str) -> Batch:
        gates = self.gates.get(card.building_id) or self.by_category.get(
            DeviceCategory.ACCESS_CONTROL, []
        )
        gates = [gate for gate in gates if gate.code not in self.silenced]
        if not gates:
            return []
        gate = self.rng.choice(gates)
        card.inside = direction == "in"
        return [
            (
                gate.code,
                self.event(
                    gate.code,
                    "card_pass",
                    now,
                    values={"direction": direction},
                    person_card=card.number,
                ),
            ),
            (gate.code, self.event(gate.code, "passage", now, values={"direction": direction})),
        ]

    def door(self, now: datetime) -> Batch:
        device = self.pick(DeviceCategory.DOOR_SENSOR)
        if device is None:
            return self.reading(now)
        closes = now + timedelta(seconds=self.rng.randint(5, 40))
        self.hold(device.code, closes)
        self.later(
            closes,
            device.code,
            "door_close",
            state="closed",
            values={"open": False},
        )
        return [
            (
                device.code,
                self.event(device.code, "door_open", now, state="open", values={"open": True}),
            )
        ]

    def reading(self, now: datetime) -> Batch:
        category = self.rng.choice(
            [
                DeviceCategory.ELECTRICITY_METER,
                DeviceCategory.WATER_METER,
                DeviceCategory.HYDRANT_PRESSURE,
                DeviceCategory.GAS_DETECTOR,
                DeviceCategory.SMART_BIN,
            ]
        )
        device = self.pick(category)
        if device is None:
            return []
        code = device.code
        if category == DeviceCategory.ELECTRICITY_METER:
            kwh = self.readings.get(code, self.rng.uniform(800, 6000)) + self.rng.uniform(0.01, 0.3)
            self.readings[code] = kwh
            values: dict[str, Any] = {
                "kwh": round(kwh, 2),
                "power_kw": round(self.rng.uniform(0.05, 2.5), 2),
            }
        elif category == DeviceCategory.WATER_METER:
            m3 = self.readings.get(code, self.rng.uniform(50, 900)) + self.rng.uniform(0, 0.02)
            self.readings[code] = m3
            values = {"m3": round(m3, 3), "flow_m3h": round(self.rng.uniform(0, 0.6), 2)}
        elif category == DeviceCategory.HYDRANT_PRESSURE:
            values = {"pressure_mpa": round(self.rng.uniform(0.22, 0.38), 3)}
        elif category == DeviceCategory.GAS_DETECTOR:
            values = {"lel": round(self.rng.uniform(0, 3), 1)}
        else:
            fill = self.readings.get(code, self.rng.uniform(5, 40)) + self.rng.uniform(0, 3)
            if fill >= 85:  # emptied before it overflows (a full bin is an incident)
                fill = self.rng.uniform(3, 10)
            self.readings[code] = fill
            values = {"fill_percent": round(fill)}
        return [(code, self.event(code, "reading", now, values=values))]

    def detection(self, now: datetime) -> Batch:
        category = self.rng.choice(
            [DeviceCategory.AI_BOX, DeviceCategory.CAMERA, DeviceCategory.PARKING_SENSOR]
        )
        device = self.pick(category)
        if device is None:
            return []
        code = device.code
        if category == DeviceCategory.PARKING_SENSOR:
            # A car stops at the fire lane a few minutes, then leaves.
            leaves = now + timedelta(seconds=self.rng.randint(30, 240))
            self.hold(code, leaves)
            self.later(
                leaves,
                code,
                "parking",
                state="free",
                values={"occupied": False},
            )
            return [
                (
                    code,
                    self.event(code, "parking", now, state="occupied", values={"occupied": True}),
                )
            ]
        score = round(self.rng.uniform(0.6, 0.98), 2)
        return [
            (
                code,
                self.event(
                    code, "person_detected", now, values={"label": "person", "score": score}
                ),
            )
        ]

    # -- incidents, one of each scenario in turn --

    def incident(self, now: datetime) -> Batch:
        for _attempt in range(len(INCIDENTS)):
            name, make = INCIDENTS[self.incident_index % len(INCIDENTS)]
            self.incident_index += 1
            produced = make(self, now)
            if produced is not None:
                self.incidents_sent.append(name)
                return produced
        return []


# Each incident returns the events to send now (and schedules the rest), or None when the
# town has no device for it.
Incident = Callable[[Simulator, datetime], Batch | None]


def _door_held_open(sim: Simulator, now: datetime) -> Batch | None:
    device = sim.take(DeviceCategory.DOOR_SENSOR)
    if device is None:
        return None
    sim.hold(device.code, now + timedelta(seconds=390), incident=True)
    sim.later(
        now + timedelta(seconds=390),
        device.code,
        "door_close",
        state="closed",
        values={"open": False},
    )
    return [
        (device.code, sim.event(device.code, "door_open", now, state="open", values={"open": True}))
    ]


def _fire_lane(sim: Simulator, now: datetime) -> Batch | None:
    device = sim.take(DeviceCategory.PARKING_SENSOR)
    if device is None:
        return None
    sim.hold(device.code, now + timedelta(seconds=700), incident=True)
    sim.later(
        now + timedelta(seconds=700),
        device.code,
        "parking",
        state="free",
        values={"occupied": False},
    )
    return [
        (
            device.code,
            sim.event(device.code, "parking", now, state="occupied", values={"occupied": True}),
        )
    ]


def _detected(category: str, kind: str, label: str, seconds: int) -> Incident:
    def make(sim: Simulator, now: datetime) -> Batch | None:
        device = sim.take(category)
        if device is None:
            return None
        values = {"label": label, "score": round(sim.rng.uniform(0.8, 0.97), 2)}
        sim.hold(device.code, now + timedelta(seconds=seconds), incident=True)
        sim.later(now + timedelta(seconds=seconds), device.code, kind, state="ended", values=values)
        return [(device.code, sim.event(device.code, kind, now, state="active", values=values))]

    return make


def _episode(
    category: str,
    seconds: int,
    start: tuple[str, str, dict[str, Any]],
    end: tuple[str, str, dict[str, Any]],
) -> Incident:
    """A device of ``category`` reports ``start`` (kind, state, values) now and ``end`` after
    ``seconds``, taking no ordinary traffic meanwhile."""

    def make(sim: Simulator, now: datetime) -> Batch | None:
        device = sim.take(category)
        if device is None:
            return None
        sim.hold(device.code, now + timedelta(seconds=seconds), incident=True)
        end_kind, end_state, end_values = end
        sim.later(
            now + timedelta(seconds=seconds),
            device.code,
            end_kind,
            state=end_state,
            values=end_values,
        )
        kind, state, values = start
        return [(device.code, sim.event(device.code, kind, now, state=state, values=values))]

    return make


_smoke = _episode(
    DeviceCategory.SMOKE_DETECTOR,
    120,
    ("smoke_alarm", "alarm", {"obscuration": 4.6}),
    ("smoke_clear", "normal", {"obscuration": 0.1}),
)


def _reading(category: str, high: dict[str, Any], normal: dict[str, Any], seconds: int) -> Incident:
    def make(sim: Simulator, now: datetime) -> Batch | None:
        device = sim.take(category)
        if device is None:
            return None
        sim.hold(device.code, now + timedelta(seconds=seconds), incident=True)
        sim.later(now + timedelta(seconds=seconds), device.code, "reading", values=normal)
        if category == DeviceCategory.SMART_BIN:
            sim.readings[device.code] = float(normal["fill_percent"])
        return [(device.code, sim.event(device.code, "reading", now, values=high))]

    return make


def _throw(sim: Simulator, now: datetime) -> Batch | None:
    device = sim.take(DeviceCategory.HIGH_ALTITUDE_CAMERA)
    if device is None:
        return None
    values = {"label": "falling_object", "floor_estimate": sim.rng.randint(5, 16)}
    return [(device.code, sim.event(device.code, "high_altitude_throw", now, values=values))]


def _garbage_at_night(sim: Simulator, now: datetime) -> Batch | None:
    """A bag dropped outside the collection hours: now if it is outside them, else (an event a
    bin flushes late) at 23:00."""
    device = sim.take(DeviceCategory.SMART_BIN)
    if device is None:
        return None
    allowed = [(6.5, 9.0), (18.0, 21.0)]
    at = now if not _in_windows(now, allowed) else _last_at(now, 23)
    return [(device.code, sim.event(device.code, "garbage_drop", at, values={"weight_kg": 2.4}))]


def _street_trading(sim: Simulator, now: datetime) -> Batch | None:
    device = sim.take(DeviceCategory.CAMERA)
    if device is None:
        return None
    at = now if not _in_windows(now, [(6.0, 8.5)]) else _last_at(now, 5, 30)
    return [
        (
            device.code,
            sim.event(device.code, "street_trading", at, values={"label": "stall", "score": 0.9}),
        )
    ]


_manhole = _episode(
    DeviceCategory.MANHOLE_COVER,
    300,
    ("cover_open", "open", {"tilt_deg": 38}),
    ("cover_closed", "normal", {"tilt_deg": 0}),
)


def _stranger(sim: Simulator, now: datetime) -> Batch | None:
    """An unknown face three times at night: now if it is night, else (late events of a camera
    that was offline) last night."""
    device = sim.take(DeviceCategory.AI_BOX) or sim.take(DeviceCategory.CAMERA)
    if device is None:
        return None
    face = "V" + format(sim.rng.getrandbits(60), "015X")
    if _in_windows(now, [(22.0, 6.0)]) and _in_windows(now - timedelta(minutes=4), [(22.0, 6.0)]):
        times = [now - timedelta(minutes=4), now - timedelta(minutes=2), now]
    else:
        night = _last_at(now, 23, 5)
        times = [night, night + timedelta(minutes=35), night + timedelta(minutes=80)]
    return [
        (
            device.code,
            sim.event(device.code, "face_captured", at, person_card=face, values={"score": 0.88}),
        )
        for at in times
    ]


def _tailgating(sim: Simulator, now: datetime) -> Batch | None:
    card = next((c for c in sim.town.cards if c.rhythm == "worker"), None)
    gates = sim.gates.get(card.building_id) if card else None
    gate = gates[0] if gates else sim.take(DeviceCategory.ACCESS_CONTROL)
    if gate is None or card is None:
        return None
    out = [
        (
            gate.code,
            sim.event(
                gate.code, "card_pass", now, values={"direction": "in"}, person_card=card.number
            ),
        )
    ]
    for second in range(3):
        at = now + timedelta(milliseconds=700 * second)
        out.append((gate.code, sim.event(gate.code, "passage", at, values={"direction": "in"})))
    card.inside = True
    return out


def _silent(sim: Simulator, now: datetime) -> Batch | None:
    """A device goes silent for ``SILENCE_SECONDS`` (twice its heartbeat interval and more)."""
    candidates = [
        d
        for d in sim.town.devices
        if d.interval <= 120
        and d.code not in sim.silenced
        and d.category in (DeviceCategory.AI_BOX, DeviceCategory.ELEVATOR_EBIKE_DETECTOR)
    ]
    if not candidates:
        return None
    device = sim.rng.choice(candidates)
    sim.silenced[device.code] = now.timestamp() + SILENCE_SECONDS
    return []


def _arrival(tag: str) -> Incident:
    def make(sim: Simulator, now: datetime) -> Batch | None:
        cards = [card for card in sim.town.cards if tag in card.tags and card.rhythm != "home"]
        if not cards:
            return None
        card = sim.rng.choice(cards)
        if card.inside:  # out first (a minute ago), then home
            card.inside = False
            return sim.pass_gate(card, now - timedelta(seconds=60), "out") + sim.pass_gate(
                card, now, "in"
            )
        return sim.pass_gate(card, now, "in")

    return make


def _elder_not_seen(sim: Simulator, now: datetime) -> Batch | None:
    """Nothing to send: elders living alone who stay home never pass (their cards are in the
    town with no pass, or a last pass days ago, from the demo generation)."""
    return None


INCIDENTS: list[tuple[str, Incident]] = [
    ("door-held-open", _door_held_open),
    (
        "ebike-in-elevator",
        _detected(DeviceCategory.ELEVATOR_EBIKE_DETECTOR, "ebike_detected", "bicycle", 20),
    ),
    ("smoke-alarm", _smoke),
    ("gas-leak", _reading(DeviceCategory.GAS_DETECTOR, {"lel": 32.0}, {"lel": 1.5}, 90)),
    ("high-altitude-throw", _throw),
    ("stranger-at-night", _stranger),
    ("fire-lane-occupied", _fire_lane),
    (
        "gas-cylinder-stairwell",
        _detected(DeviceCategory.AI_BOX, "gas_cylinder_detected", "gas_cylinder", 60),
    ),
    ("garbage-outside-hours", _garbage_at_night),
    ("tailgating", _tailgating),
    ("minor-arrived-home", _arrival(TAG_MINOR)),
    ("trading-outside-shop", _street_trading),
    ("manhole-cover-moved", _manhole),
    (
        "hydrant-pressure-low",
        _reading(
            DeviceCategory.HYDRANT_PRESSURE, {"pressure_mpa": 0.09}, {"pressure_mpa": 0.31}, 180
        ),
    ),
    (
        "bin-full",
        _reading(DeviceCategory.SMART_BIN, {"fill_percent": 96}, {"fill_percent": 5}, 600),
    ),
    (
        "water-abnormal-use",
        _reading(DeviceCategory.WATER_METER, {"flow_m3h": 2.7}, {"flow_m3h": 0.1}, 180),
    ),
    ("device-offline", _silent),
    ("elder-arrived-home", _arrival(TAG_ADVANCED_AGE)),
    ("elder-not-seen", _elder_not_seen),
]


# ---- sending ---------------------------------------------------------------------------------


@dataclass
class SendTotals:
    events: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    failures: int = 0


class Sender(Protocol):
    totals: SendTotals

    def send(self, batch: Batch) -> None: ...

    def close(self) -> None: ...


def per_device(batch: Batch) -> dict[str, list[Event]]:
    grouped: dict[str, list[Event]] = defaultdict(list)
    for code, event in batch:
        grouped[code].append(event)
    return grouped


class HttpSender:
    """One POST per device and tick (the device's events as a JSON array)."""

    def __init__(self, base_url: str, credentials: dict[str, str], timeout: float = 10.0) -> None:
        import requests

        self.url = base_url.rstrip("/") + "/api/v1/sensing/ingest/"
        self.credentials = credentials
        self.session = requests.Session()
        self.timeout = timeout
        self.totals = SendTotals()

    def send(self, batch: Batch) -> None:
        for code, events in per_device(batch).items():
            secret = self.credentials.get(code)
            if secret is None:
                continue
            for start in range(0, len(events), MAX_EVENTS_PER_POST):
                chunk = events[start : start + MAX_EVENTS_PER_POST]
                self.totals.events += len(chunk)
                try:
                    response = self.session.post(
                        self.url,
                        data=json.dumps(chunk, ensure_ascii=False).encode(),
                        headers={
                            "Authorization": f"Device {code}:{secret}",
                            "Content-Type": "application/json",
                        },
                        timeout=self.timeout,
                    )
                except OSError:
                    self.totals.failures += 1
                    continue
                if response.status_code in (202, 400):
                    answer = response.json()
                    self.totals.stored += int(answer.get("stored", 0))
                    self.totals.duplicates += int(answer.get("duplicates", 0))
                    self.totals.rejected += sum(answer.get("rejected", {}).values())
                else:
                    self.totals.failures += 1

    def close(self) -> None:
        self.session.close()


class MqttSender:
    """Publishes each device's events of a tick as one message, QoS 1, on its native topic.

    ``stored`` counts the events of messages the broker acknowledged (the ingesters store them).
    """

    def __init__(self, host: str, port: int, client_id: str) -> None:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

        self.client = Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
        )
        self.client.connect(host, port)
        self.client.loop_start()
        self.totals = SendTotals()

    def send(self, batch: Batch) -> None:
        infos = []
        for code, events in per_device(batch).items():
            for start in range(0, len(events), MAX_EVENTS_PER_POST):
                chunk = events[start : start + MAX_EVENTS_PER_POST]
                self.totals.events += len(chunk)
                payload = json.dumps(chunk, ensure_ascii=False).encode()
                infos.append((len(chunk), self.client.publish(native_topic(code), payload, qos=1)))
        for count, info in infos:
            try:
                info.wait_for_publish(timeout=10)
            except (RuntimeError, ValueError):
                self.totals.failures += 1
                continue
            if info.is_published():
                self.totals.stored += count  # handed to the broker: stored by the ingesters
            else:
                self.totals.failures += 1

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class IngestSender:
    """Stores through the ingest service directly, as an HTTP post would (tests, no server)."""

    def __init__(self) -> None:
        self.totals = SendTotals()

    def send(self, batch: Batch) -> None:
        from django.utils import timezone as django_timezone

        from gridgov.sensing.services.ingest import RawMessage, ingest_messages

        messages = [
            RawMessage(
                channel="http",
                topic=native_topic(code),
                payload=json.dumps(events).encode(),
                received_at=django_timezone.now(),
                device_code=code,
            )
            for code, events in per_device(batch).items()
        ]
        if not messages:
            return
        self.totals.events += len(batch)
        result = ingest_messages(messages)
        self.totals.stored += result.stored
        self.totals.duplicates += result.duplicates
        self.totals.rejected += sum(result.rejected.values())

    def close(self) -> None:
        return None


def run(
    simulator: Simulator,
    sender: Sender,
    *,
    duration: float,
    tick_seconds: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendTotals:
    """Tick every ``tick_seconds`` for ``duration`` seconds (0: until ``should_stop``)."""
    now_of = clock or (lambda: datetime.now(tz=UTC))
    started = time.monotonic()
    ticks = 0
    while not should_stop():
        elapsed = time.monotonic() - started
        if duration and elapsed >= duration:
            break
        sender.send(simulator.tick(now_of(), tick_seconds))
        ticks += 1
        wait = started + ticks * tick_seconds - time.monotonic()
        if wait > 0:
            sleep(wait)
    return sender.totals
