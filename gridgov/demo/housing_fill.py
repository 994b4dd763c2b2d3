"""Filling one grid of the housing plan: an estate, or a villagers' group, and the faults."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from gridgov.demo import people
from gridgov.demo.plan import PlannedCell

if TYPE_CHECKING:
    from gridgov.demo.housing_plan import _Planner

MIN_AREA_PER_OCCUPANT = Decimal(5)
VILLAGE_ROOMS = ("102", "201", "202", "301", "302")


def _sizes(rng: random.Random, total: int, table: tuple[tuple[int, int], ...]) -> list[int]:
    values = [size for size, _w in table]
    weights = [weight for _s, weight in table]
    sizes: list[int] = []
    while total > 0:
        size = min(rng.choices(values, weights=weights)[0], total)
        sizes.append(size)
        total -= size
    return sizes


def _since(rng: random.Random, today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=rng.randint(200, 28 * 365))


def _registered_families(
    planner: _Planner, rng: random.Random, grid: PlannedCell, sizes: list[int], homes: list[int]
) -> list[dict]:
    """Families in their own homes (``homes`` are popped); returns the heads (landlords)."""
    heads: list[dict] = []
    for size in sizes:
        dwelling_id = homes.pop()
        dwelling = planner.plan.dwellings[dwelling_id - 1]
        hukou = f"上海市闵行区{dwelling[8]}"
        members = planner.family(rng, size, migrant=False, cell=dwelling[7], hukou=hukou)
        since = _since(rng, planner.today)
        head = members[0][0]
        if size == 1 and head["age"] >= 60:
            child_sex = rng.choice("MF")
            head["contact_name"] = people.surname_of(head["name"]) + people.given_name(
                rng, child_sex
            )
            head["contact_phone"] = people.mobile_number(rng)
        planner.household(members, dwelling_id, grid.code, since)
        owners = [person for person, relation in members if relation in ("head", "spouse")]
        for person, relation in members:
            role = "owner" if relation in ("head", "spouse") else "family"
            planner.live(person, dwelling_id, role, since)
        planner.own(dwelling_id, owners, since)
        heads.append(head)
    return heads


def _lease_dates(
    rng: random.Random, today: datetime.date
) -> tuple[datetime.date, datetime.date, bool]:
    from gridgov.demo.housing_plan import RATES

    if rng.random() < RATES["expired"]:
        ends = today - datetime.timedelta(days=rng.randint(5, 90))
        return ends - datetime.timedelta(days=365), ends, True
    ends = today + datetime.timedelta(days=rng.randint(1, 720))
    years = 2 if ends > today + datetime.timedelta(days=365) else rng.choice((1, 2))
    return ends - datetime.timedelta(days=365 * years), ends, False


def _migrant_group(
    planner: _Planner,
    rng: random.Random,
    grid: PlannedCell,
    size: int,
    dwelling_id: int,
    landlord: dict,
) -> None:
    dwelling = planner.plan.dwellings[dwelling_id - 1]
    cell = dwelling[7]
    if 2 <= size <= 5 and rng.random() < 0.5:
        members = planner.family(rng, size, migrant=True, cell=cell, hukou="")
    else:
        members = [
            (
                planner.person(
                    rng, age=rng.randint(18, 52), sex=rng.choice("MF"), migrant=True,
                    cell=cell, hukou="",
                ),
                "head" if index == 0 else "other",
            )
            for index in range(size)
        ]  # fmt: skip
    started, ends, _expired = _lease_dates(rng, planner.today)
    area = dwelling[5]
    warning = bool(area) and area / len(members) < MIN_AREA_PER_OCCUPANT
    lease_id = len(planner.plan.leases) + 1
    planner.plan.leases.append(
        (lease_id, dwelling_id, landlord["id"], started, ends, "active", warning)
    )
    for person, _relation in members:
        planner.plan.lease_tenants.append((lease_id, person["id"]))
        planner.live(person, dwelling_id, "tenant", started, lease_id)
    planner.household(members, dwelling_id, grid.code, started)


def fill_estate(planner: _Planner, grid: PlannedCell, registered: int, migrants: int) -> None:
    from gridgov.demo.housing_plan import GROUP_SIZES, HOUSEHOLD_SIZES

    rng = planner.tree.rng(f"housing:{grid.code}")
    family_sizes = _sizes(rng, registered, HOUSEHOLD_SIZES)
    group_sizes = _sizes(rng, migrants, GROUP_SIZES)
    flats = planner.estate_flats(rng, grid, len(family_sizes) + len(group_sizes))
    heads = _registered_families(planner, rng, grid, family_sizes, flats)
    for size in group_sizes:
        if not flats:
            break
        dwelling_id = flats.pop()
        landlord = rng.choice(heads)
        planner.own(dwelling_id, [landlord], _since(rng, planner.today))
        _migrant_group(planner, rng, grid, size, dwelling_id, landlord)
    for dwelling_id in flats:  # vacant flats: second homes of registered owners
        planner.own(dwelling_id, [rng.choice(heads)], _since(rng, planner.today))


def fill_village(planner: _Planner, grid: PlannedCell, registered: int, migrants: int) -> None:
    """Village houses: the owner family downstairs, rented rooms upstairs (村宅出租)."""
    from gridgov.demo.housing_plan import GROUP_SIZES, HOUSEHOLD_SIZES

    rng = planner.tree.rng(f"housing:{grid.code}")
    estate_id = planner.estate(grid, grid.name.removesuffix("网格"), "village")
    family_sizes = _sizes(rng, registered, HOUSEHOLD_SIZES)
    homes: list[int] = []
    rooms: list[tuple[int, int]] = []  # (dwelling id, house index)
    houses: list[tuple[int, str]] = []
    for number in range(1, len(family_sizes) + 1):
        building_id, cell_code = planner.building(
            rng, estate_id, grid, f"{number}号", rng.choice((2, 3)), number
        )
        houses.append((building_id, cell_code))
        area = Decimal(rng.randint(9000, 16000)) / 100
        homes.append(planner.dwelling(building_id, None, "101", 1, area, "residential", cell_code))
        for room in VILLAGE_ROOMS:
            area = Decimal(rng.randint(1200, 3500)) / 100
            rooms.append(
                (planner.dwelling(building_id, None, room, int(room[0]), area, "residential",
                                  cell_code), number - 1)
            )  # fmt: skip
    homes.reverse()
    # Families in the order of their houses, so that house n's owner lives in house n.
    heads = _registered_families(planner, rng, grid, family_sizes, homes)
    rng.shuffle(rooms)
    extra = 0
    for size in _sizes(rng, migrants, GROUP_SIZES):
        if not rooms:  # more tenants than rooms: partitioned rooms on a new top floor (加层)
            extra += 1
            house = extra % len(houses)
            building_id, cell_code = houses[house]
            area = Decimal(rng.randint(1000, 2500)) / 100
            room = f"4{extra // len(houses) + 1:02d}"
            rooms.append(
                (planner.dwelling(building_id, None, room, 4, area, "residential", cell_code),
                 house)
            )  # fmt: skip
        dwelling_id, house = rooms.pop()
        landlord = heads[min(house, len(heads) - 1)]
        planner.own(dwelling_id, [landlord], _since(rng, planner.today))
        _migrant_group(planner, rng, grid, size, dwelling_id, landlord)


def fill_faults(planner: _Planner, duplicates: int) -> None:
    """Duplicates, moves without a new home, and a little residency history."""
    from gridgov.demo.housing_plan import RATES

    rng = planner.tree.rng("housing:faults")
    plan = planner.plan
    registered = [person for person in plan.people if not person["migrant"] and person["age"] >= 18]
    for original in rng.sample(registered, min(duplicates, len(registered))):
        twin = dict(original)
        twin["id"] = len(plan.people) + 1
        division = original["id_number"][:6]
        twin["id_number"] = planner.ids.next(division, original["birth"], original["sex"])
        twin["verified_days"] = None
        plan.people.append(twin)
    heads = {row[3] for row in plan.households}
    by_person = {row[0]: row for row in plan.residencies}
    movers = [p for p in registered if p["id"] not in heads and p["id"] in by_person]
    for person in rng.sample(movers, int(len(movers) * RATES["moved_out"])):
        residency = by_person[person["id"]]
        ended = planner.today - datetime.timedelta(days=rng.randint(30, 300))
        residency[4] = max(ended, residency[3])
    flats = [row[0] for row in plan.dwellings if row[6] == "residential"]
    for person in rng.sample(registered, int(len(registered) * 0.03)):
        current = by_person.get(person["id"])
        if current is None or current[4] is not None:
            continue
        ended = current[3] - datetime.timedelta(days=1)
        started = ended - datetime.timedelta(days=rng.randint(365, 12 * 365))
        plan.residencies.append([person["id"], rng.choice(flats), "family", started, ended,
                                 None, person["verified_days"]])  # fmt: skip
