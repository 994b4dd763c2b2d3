"""The demo town's devices (设备), residents' access cards (门禁卡) and their last gate passes.

Placed the way an estate is equipped: per building an access gate (two for buildings of three
units or more), a door sensor on each unit door, a smoke detector in each unit's stairwell, an
e-bike detector in each elevator (buildings of 7 floors or more, one elevator per unit) and a
stairwell AI camera; per estate fire-lane parking sensors, smart bins, manhole covers, hydrant
pressure sensors, a high-altitude-throw camera and a shop-front camera; one village house in
ten a smoke detector; and for about a third of elders living alone (独居老人) an electricity
meter, a water meter and a gas detector. Devices belong to the estate's property company. Their
secrets are random and known to nobody: the simulator re-issues the ones it drives
(``gridgov.sensing.simulator``).

Adults living in gated estates get an access card, school-age children an enrolled face. A
card's number is ``demo_card_number(person_id)``; only its keyed hash is stored, as everywhere.
Each elder living alone has one past pass, most within two days, about one in twenty-five more than
three days ago, so the absence list has names from the start.

Rows are written with ``insert_rows`` (COPY on PostgreSQL); everything is seeded.
"""

from __future__ import annotations

import datetime
import json
import random
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from gridgov.accounts.models import Membership
from gridgov.accounts.roles import Role
from gridgov.core.crypto import lookup_hash
from gridgov.demo.bulkload import bulk_load, insert_rows
from gridgov.registry.models import Building, Dwelling, Estate, PersonTag, Residency, Unit
from gridgov.registry.selectors.people import years_before
from gridgov.registry.services.tags import TAG_ELDERLY_ALONE
from gridgov.sensing.models import AccessCard, Device, DeviceCategory, Event
from gridgov.sensing.services.devices import device_secret_hash
from gridgov.sensing.simulator import demo_card_number

Progress = Callable[[str, int, int], None]
ADULT_AGE = 18
FACE_AGE = 6  # children from this age have an enrolled face at their estate's gates
ELEVATOR_FLOORS = 7
HISTORY_EVENT_PREFIX = "hist-"
# One card holder in COMMUTER_SAMPLE has a week of commuting through the gate behind them (out in
# the morning, back in the evening), so the gate-flow charts have a history from the start.
COMMUTER_SAMPLE = 8
COMMUTE_DAYS = 7

# Heartbeat interval per category, seconds.
HEARTBEAT: dict[str, int] = {
    DeviceCategory.ACCESS_CONTROL: 60,
    DeviceCategory.DOOR_SENSOR: 300,
    DeviceCategory.SMOKE_DETECTOR: 600,
    DeviceCategory.GAS_DETECTOR: 300,
    DeviceCategory.ELEVATOR_EBIKE_DETECTOR: 60,
    DeviceCategory.AI_BOX: 60,
    DeviceCategory.CAMERA: 60,
    DeviceCategory.HIGH_ALTITUDE_CAMERA: 60,
    DeviceCategory.PARKING_SENSOR: 300,
    DeviceCategory.SMART_BIN: 900,
    DeviceCategory.MANHOLE_COVER: 900,
    DeviceCategory.HYDRANT_PRESSURE: 300,
    DeviceCategory.ELECTRICITY_METER: 900,
    DeviceCategory.WATER_METER: 900,
}


@dataclass
class _PlannedDevice:
    code: str
    name: str
    category: str
    cell_id: int
    estate_id: int | None
    building_id: int | None
    lng: float | None
    lat: float | None
    address: str
    owner_id: int | None


class _Planner:
    def __init__(self, rng: Any) -> None:
        self.rng = rng
        self.devices: list[_PlannedDevice] = []

    def add(self, code: str, name: str, category: str, place: dict[str, Any], **extra: Any) -> None:
        lng, lat = place.get("lng"), place.get("lat")
        if lng is not None and lat is not None:
            lng = round(lng + self.rng.uniform(-0.0004, 0.0004), 6)
            lat = round(lat + self.rng.uniform(-0.0003, 0.0003), 6)
        self.devices.append(
            _PlannedDevice(
                code=code,
                name=name[:100],
                category=category,
                cell_id=extra.get("cell_id", place["cell_id"]),
                estate_id=place.get("estate_id"),
                building_id=extra.get("building_id"),
                lng=lng,
                lat=lat,
                address=str(extra.get("address", place.get("address", "")))[:200],
                owner_id=place.get("owner_id"),
            )
        )


def _property_companies() -> dict[int, int]:
    """Cell id → the property company working there (from its staff's memberships)."""
    return dict(
        Membership.objects.filter(role=Role.PROPERTY_STAFF, organization__isnull=False)
        .order_by("cell_id", "id")
        .values_list("cell_id", "organization_id")
    )


def _plan_places(planner: _Planner) -> None:
    companies = _property_companies()
    estates = {
        row["id"]: row
        for row in Estate.objects.order_by("id").values(
            "id", "name", "kind", "cell_id", "lng", "lat", "address", "property_company_id"
        )
    }
    units: dict[int, list[str]] = defaultdict(list)
    for building_id, label in Unit.objects.order_by("building_id", "sort_order", "id").values_list(
        "building_id", "label"
    ):
        units[building_id].append(label)
    shops = set(
        Dwelling.objects.filter(use=Dwelling.Use.COMMERCIAL)
        .values_list("building__estate_id", flat=True)
        .distinct()
    )
    buildings: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in Building.objects.order_by("estate_id", "sort_order", "id").values(
        "id", "estate_id", "label", "cell_id", "lng", "lat", "floors"
    ):
        buildings[row["estate_id"]].append(dict(row))
    rng = planner.rng
    for estate_id, estate in estates.items():
        owner = estate["property_company_id"] or companies.get(estate["cell_id"])
        place = {**estate, "estate_id": estate_id, "owner_id": owner}
        gated = estate["kind"] != Estate.Kind.VILLAGE
        for building in buildings[estate_id]:
            _plan_building(planner, place, building, units[building["id"]], gated=gated)
        _plan_estate(planner, place, len(buildings[estate_id]), gated, estate_id in shops, rng)


def _plan_building(
    planner: _Planner,
    estate: dict[str, Any],
    building: dict[str, Any],
    unit_labels: list[str],
    *,
    gated: bool,
) -> None:
    b = building["id"]
    name = f"{estate['name']}{building['label']}"
    at = {
        **estate,
        "cell_id": building["cell_id"],
        "lng": building["lng"] if building["lng"] is not None else estate["lng"],
        "lat": building["lat"] if building["lat"] is not None else estate["lat"],
    }
    extra = {"building_id": b, "address": name}
    if not gated:
        if planner.rng.random() < 0.1:
            planner.add(f"smoke-b{b}-1", f"{name}烟感", DeviceCategory.SMOKE_DETECTOR, at, **extra)
        return
    labels = unit_labels or [""]
    gates = 2 if len(labels) >= 3 else 1
    for n in range(1, gates + 1):
        planner.add(
            f"gate-b{b}-{n}", f"{name}门禁{n}号", DeviceCategory.ACCESS_CONTROL, at, **extra
        )
    floors = building["floors"] or 1
    for u, label in enumerate(labels, start=1):
        where = f"{name}{label}"
        planner.add(f"door-b{b}-u{u}", f"{where}单元门磁", DeviceCategory.DOOR_SENSOR, at, **extra)
        planner.add(
            f"smoke-b{b}-u{u}", f"{where}楼道烟感", DeviceCategory.SMOKE_DETECTOR, at, **extra
        )
        if floors >= ELEVATOR_FLOORS:
            planner.add(
                f"ebike-b{b}-u{u}",
                f"{where}电梯电动车检测",
                DeviceCategory.ELEVATOR_EBIKE_DETECTOR,
                at,
                **extra,
            )
    planner.add(f"stair-b{b}", f"{name}楼道AI摄像头", DeviceCategory.AI_BOX, at, **extra)


def _plan_estate(
    planner: _Planner,
    place: dict[str, Any],
    building_count: int,
    gated: bool,
    has_shops: bool,
    rng: Any,
) -> None:
    e = place["estate_id"]
    name = place["name"]
    counts = {
        DeviceCategory.PARKING_SENSOR: (rng.randint(2, 4) if gated else 1, "消防通道车位检测"),
        DeviceCategory.SMART_BIN: (2 + building_count // 4 if gated else 1, "智能垃圾桶"),
        DeviceCategory.MANHOLE_COVER: (rng.randint(2, 3) if gated else 1, "井盖监测"),
        DeviceCategory.HYDRANT_PRESSURE: (min(1 + building_count // 20, 6), "消火栓水压"),
    }
    prefixes = {
        DeviceCategory.PARKING_SENSOR: "park",
        DeviceCategory.SMART_BIN: "bin",
        DeviceCategory.MANHOLE_COVER: "manhole",
        DeviceCategory.HYDRANT_PRESSURE: "hydrant",
    }
    for category, (count, label) in counts.items():
        for n in range(1, count + 1):
            planner.add(f"{prefixes[category]}-e{e}-{n}", f"{name}{label}{n}", category, place)
    if gated:
        planner.add(
            f"throw-e{e}", f"{name}高空抛物摄像头", DeviceCategory.HIGH_ALTITUDE_CAMERA, place
        )
    if gated or has_shops:
        planner.add(f"shop-e{e}", f"{name}沿街商铺摄像头", DeviceCategory.CAMERA, place)


@dataclass
class _Resident:
    person_id: int
    dwelling_id: int
    building_id: int
    estate_id: int
    birth: datetime.date
    cell_id: int


def _current_residents() -> list[_Resident]:
    rows = (
        Residency.objects.filter(ended_on__isnull=True, person__is_deceased=False)
        .order_by("person_id", "id")
        .values_list(
            "person_id",
            "dwelling_id",
            "dwelling__building_id",
            "dwelling__building__estate_id",
            "person__birth_date",
            "dwelling__cell_id",
        )
    )
    seen: set[int] = set()
    residents = []
    for person_id, dwelling_id, building_id, estate_id, birth, cell_id in rows:
        if person_id in seen or birth is None:
            continue
        seen.add(person_id)
        residents.append(_Resident(person_id, dwelling_id, building_id, estate_id, birth, cell_id))
    return residents


def _plan_dwellings(planner: _Planner, elders: list[_Resident], owners: dict[int, Any]) -> None:
    """Meters and a gas detector in most homes of elders living alone."""
    addresses = dict(
        Dwelling.objects.filter(id__in=[e.dwelling_id for e in elders]).values_list("id", "address")
    )
    for elder in elders:
        if planner.rng.random() >= 0.35:
            continue
        d = elder.dwelling_id
        place = {**owners.get(elder.estate_id, {}), "cell_id": elder.cell_id}
        place["estate_id"] = elder.estate_id
        extra = {"building_id": elder.building_id, "address": addresses.get(d, "")}
        planner.add(f"emeter-d{d}", "智能电表", DeviceCategory.ELECTRICITY_METER, place, **extra)
        planner.add(f"wmeter-d{d}", "智能水表", DeviceCategory.WATER_METER, place, **extra)
        planner.add(f"gas-d{d}", "燃气报警器", DeviceCategory.GAS_DETECTOR, place, **extra)


def _write_devices(planner: _Planner, progress: Progress) -> dict[str, int]:
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    fields = [
        "code", "name", "category", "cell", "estate", "building", "lng", "lat", "address",
        "owner", "heartbeat_interval_seconds", "is_online", "secret_hash", "secret_rotated_at",
        "is_active", "created_at",
    ]  # fmt: skip
    rows = [
        (
            d.code,
            d.name,
            d.category,
            d.cell_id,
            d.estate_id,
            d.building_id,
            d.lng,
            d.lat,
            d.address,
            d.owner_id,
            HEARTBEAT.get(d.category, 300),
            False,
            # A secret nobody knows: the device is registered, not yet provisioned.
            device_secret_hash(secrets.token_urlsafe(32)),
            stamp,
            True,
            stamp,
        )
        for d in planner.devices
    ]
    insert_rows(Device, fields, rows, progress, "devices")
    return dict(Device.objects.values_list("code", "id"))


def _write_cards(
    residents: list[_Resident],
    gated_estates: set[int],
    elders: set[int],
    gates: dict[int, list[int]],
    rng: Any,
    progress: Progress,
) -> int:
    now = timezone.now()
    today = timezone.localdate(now)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    adapt = connection.ops.adapt_datetimefield_value
    adult_born = years_before(today, ADULT_AGE)
    face_born = years_before(today, FACE_AGE)
    cards: list[tuple[Any, ...]] = []
    passes: list[tuple[Any, ...]] = []
    for resident in residents:
        if resident.estate_id not in gated_estates or resident.birth > face_born:
            continue
        number = demo_card_number(resident.person_id)
        card_hash = lookup_hash(number)
        issued = now - datetime.timedelta(days=rng.randint(30, 900))
        last4 = number[-4:] if resident.birth <= adult_born else ""
        cards.append(
            (resident.person_id, card_hash, last4, resident.dwelling_id, adapt(issued), True)
        )
        building_gates = gates.get(resident.building_id)
        if (
            building_gates
            and resident.person_id not in elders
            and resident.birth <= adult_born
            and resident.person_id % COMMUTER_SAMPLE == 0
        ):
            for day in range(1, COMMUTE_DAYS + 1):
                morning = (
                    midnight
                    - datetime.timedelta(days=day)
                    + datetime.timedelta(hours=7, minutes=rng.randint(0, 120))
                )
                evening = (
                    midnight
                    - datetime.timedelta(days=day)
                    + datetime.timedelta(hours=17, minutes=rng.randint(30, 180))
                )
                for direction, at in (("out", morning), ("in", evening)):
                    passes.append(
                        (
                            building_gates[0],
                            f"{HISTORY_EVENT_PREFIX}{resident.person_id}-{day}-{direction}",
                            "card_pass",
                            adapt(at),
                            adapt(at),
                            json.dumps({"direction": direction}),
                            "",
                            "native",
                            card_hash,
                        )
                    )
        if resident.person_id in elders and building_gates:
            # One past pass: most within two days, one in twenty-five more than three days ago.
            hours = rng.randint(80, 240) if rng.random() < 0.04 else rng.randint(1, 40)
            at = now - datetime.timedelta(hours=hours, minutes=rng.randint(0, 59))
            passes.append(
                (
                    building_gates[0],
                    f"{HISTORY_EVENT_PREFIX}{resident.person_id}",
                    "card_pass",
                    adapt(at),
                    adapt(at),
                    json.dumps({"direction": "in"}),
                    "",
                    "native",
                    card_hash,
                )
            )
    insert_rows(
        AccessCard,
        ["person", "card_hash", "card_last4", "dwelling", "issued_at", "is_active"],
        cards,
        progress,
        "access cards",
    )
    insert_rows(
        Event,
        ["device", "event_id", "kind", "occurred_at", "received_at", "values", "state",
         "source_format", "person_card_hash"],
        passes,
        progress,
        "gate passes",
    )  # fmt: skip
    return len(cards)


def demo_devices_plan(*, seed: int) -> _Planner:
    """The devices of the estates and buildings in the database (not yet those of elders'
    homes), as planned from ``seed``: the same town and seed give the same devices."""
    planner = _Planner(random.Random(f"{seed}:devices"))
    _plan_places(planner)
    return planner


def demo_devices_write(*, seed: int, progress: Progress) -> dict[str, int]:
    """Write the devices, access cards and elders' last passes of the generated town.

    Returns counts by what was written.
    """
    planner = demo_devices_plan(seed=seed)
    rng = planner.rng
    residents = _current_residents()
    elder_ids = set(
        PersonTag.objects.filter(tag__code=TAG_ELDERLY_ALONE).values_list("person_id", flat=True)
    )
    elders = [resident for resident in residents if resident.person_id in elder_ids]
    owners = {
        place.estate_id: {"owner_id": place.owner_id, "lng": place.lng, "lat": place.lat}
        for place in planner.devices
        if place.estate_id is not None
    }
    _plan_dwellings(planner, elders, owners)
    with bulk_load((Device, AccessCard, Event)):
        device_ids = _write_devices(planner, progress)
        gates: dict[int, list[int]] = defaultdict(list)
        for planned in planner.devices:
            if planned.category == DeviceCategory.ACCESS_CONTROL and planned.building_id:
                gates[planned.building_id].append(device_ids[planned.code])
        gated = set(Estate.objects.exclude(kind=Estate.Kind.VILLAGE).values_list("id", flat=True))
        cards = _write_cards(residents, gated, elder_ids, gates, rng, progress)
    return {"devices": len(planner.devices), "access_cards": cards}


def demo_scenarios_install() -> int:
    """Install the scenario catalogue (``sensing.services.scenarios``); the number installed."""
    from gridgov.sensing.services.scenarios import install_scenarios

    return len(install_scenarios(actor=None))


def demo_devices_step(context: Any) -> int:
    """The generation step: devices and cards, then the scenario catalogue; the device count."""
    counts = demo_devices_write(seed=context.seed, progress=context.progress)
    context.counts["access_cards"] = counts["access_cards"]
    context.counts["scenarios"] = demo_scenarios_install()
    return counts["devices"]
