"""Pure plan of the demo town's people and housing (人房信息), without a database.

Estate grids become estates (小区) of low- and high-rise buildings with units and flats;
villagers' groups become village settlements (村宅) of houses whose upper rooms are let to
migrants. Registered residents (户籍) live as families in flats they own; migrants (来沪人员)
rent, each group under a lease registered by its landlord. Everything follows from the seed
and ``today``. Rows are plain tuples with ids numbered from 1; the writer shifts them.

Deliberate data-quality faults (so the quality page has something to show): a handful of
duplicate records, adults without a phone, stale verifications, people whose residency ended
without a new one, and expired leases still marked active.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shapely import contains_xy

from gridgov.demo import people
from gridgov.demo.plan import CellTree, PlannedCell, exact_split

# (registered 户籍, migrants 来沪) per profile; estates take these shares of each.
POPULATION = {"maqiao": (45_000, 75_000), "small": (24, 16), "sanjiang": (0, 0)}
ESTATE_SHARE = (0.65, 0.45)
HOUSEHOLD_SIZES = ((1, 13), (2, 30), (3, 30), (4, 17), (5, 10))
GROUP_SIZES = ((1, 22), (2, 30), (3, 24), (4, 14), (5, 6), (6, 3), (8, 1))
RATES = {"stale": 0.010, "no_phone": 0.002, "moved_out": 0.0012, "expired": 0.002}
DUPLICATES = {"maqiao": 12, "small": 1, "sanjiang": 0}
STALE_DAYS = (200, 540)
FRESH_DAYS = (1, 170)


@dataclass
class HousingPlan:
    estates: list[tuple] = field(default_factory=list)
    buildings: list[tuple] = field(default_factory=list)
    units: list[tuple] = field(default_factory=list)
    dwellings: list[tuple] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    households: list[tuple] = field(default_factory=list)
    members: list[tuple] = field(default_factory=list)
    residencies: list[list[Any]] = field(default_factory=list)  # [4] may change (moves)
    ownerships: list[tuple] = field(default_factory=list)
    leases: list[tuple] = field(default_factory=list)
    lease_tenants: list[tuple] = field(default_factory=list)


class _Planner:
    def __init__(self, tree: CellTree, today: datetime.date, profile: str) -> None:
        self.tree = tree
        self.today = today
        self.profile = profile
        self.plan = HousingPlan()
        self.ids = people.IdNumberSequence()
        self._today_ordinal = today.toordinal()
        town = next((cell for cell in tree.cells if cell.kind == "town"), None)
        self.town_name = town.name if town else ""
        self.micro: dict[str, list[PlannedCell]] = {}
        for cell in tree.cells:
            if cell.kind == "micro" and cell.parent_code:
                self.micro.setdefault(cell.parent_code, []).append(cell)

    # --- places --------------------------------------------------------------------------

    def point_in(self, rng: random.Random, code: str) -> tuple[float, float]:
        shape = self.tree.geometries[code]
        min_x, min_y, max_x, max_y = shape.bounds
        for _ in range(50):
            x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
            if contains_xy(shape, x, y):
                return round(x, 6), round(y, 6)
        point = shape.representative_point()
        return round(point.x, 6), round(point.y, 6)

    def estate(self, grid: PlannedCell, name: str, kind: str) -> int:
        lng, lat = self.point_in(self.tree.rng(f"estate:{grid.code}"), grid.code)
        address = f"{self.town_name}{name}"
        self.plan.estates.append(
            (len(self.plan.estates) + 1, f"E{grid.code}", name, kind, grid.code, address, lng, lat)
        )
        return len(self.plan.estates)

    def building(self, rng: random.Random, estate_id: int, grid: PlannedCell, label: str,
                 floors: int, sort: int) -> tuple[int, str]:  # fmt: skip
        cells = self.micro.get(grid.code) or [grid]
        cell = cells[sort % len(cells)]
        lng, lat = self.point_in(rng, cell.code)
        estate_name = self.plan.estates[estate_id - 1][2]
        address = f"{self.town_name}{estate_name}{label}"
        building_id = len(self.plan.buildings) + 1
        self.plan.buildings.append(
            (building_id, estate_id, label, cell.code, address, lng, lat, floors, sort)
        )
        return building_id, cell.code

    def dwelling(self, building_id: int, unit: tuple[int, str] | None, room: str,
                 floor: int | None, area: Decimal | None, use: str, cell_code: str) -> int:  # fmt: skip
        building = self.plan.buildings[building_id - 1]
        address = f"{building[4]}{unit[1] if unit else ''}{room}"
        if room.isdigit():
            address += "室"
        dwelling_id = len(self.plan.dwellings) + 1
        self.plan.dwellings.append(
            (dwelling_id, building_id, unit[0] if unit else None, room, floor, area, use,
             cell_code, address)
        )  # fmt: skip
        return dwelling_id

    def estate_flats(self, rng: random.Random, grid: PlannedCell, needed: int) -> list[int]:
        """Buildings of one estate until ``needed`` flats exist (plus a few vacant ones)."""
        estate_id = self.estate(grid, grid.name.removesuffix("网格"), "estate")
        flats: list[int] = []
        high_rise = rng.random() < 0.4
        sort = 0
        target = int(needed * 1.06) + 1
        while len(flats) < target:
            sort += 1
            floors = rng.choice((18, 11)) if high_rise else 6
            per_floor = 4 if high_rise else 2
            unit_count = rng.choice((1, 2)) if high_rise else rng.choice((2, 3, 4))
            building_id, cell_code = self.building(
                rng, estate_id, grid, f"{sort}号楼", floors, sort
            )
            if sort == 1:
                self.dwelling(building_id, None, "公共部位", None, None, "common", cell_code)
                for shop in (1, 2):
                    area = Decimal(rng.randint(3000, 12000)) / 100
                    self.dwelling(building_id, None, f"商铺{shop}", 1, area, "commercial",
                                  cell_code)  # fmt: skip
            base_area = rng.randint(55, 95) if not high_rise else rng.randint(75, 130)
            for unit_index in range(1, unit_count + 1):
                unit_id = len(self.plan.units) + 1
                label = f"{unit_index}单元"
                self.plan.units.append((unit_id, building_id, label, unit_index))
                for floor in range(1, floors + 1):
                    for room in range(1, per_floor + 1):
                        area = Decimal(base_area * 100 + rng.randint(-800, 1500)) / 100
                        flats.append(
                            self.dwelling(
                                building_id,
                                (unit_id, label),
                                f"{floor}{room:02d}",
                                floor,
                                area,
                                "residential",
                                cell_code,
                            )
                        )
        rng.shuffle(flats)
        return flats

    # --- people --------------------------------------------------------------------------

    def birth(self, rng: random.Random, age: int) -> datetime.date:
        age = max(0, min(age, 99))
        days = max(age * 365 + int(rng.random() * 365), 1)
        return datetime.date.fromordinal(self._today_ordinal - days)

    def person(self, rng: random.Random, *, age: int, sex: str, migrant: bool, cell: str,
               hukou: str, phone: str | None = None, name: str | None = None) -> dict:  # fmt: skip
        born = self.birth(rng, age)
        division = people.division_for(rng, born, is_migrant=migrant)
        if migrant:
            hukou = people.place_name(division) + rng.choice(people.HUKOU_TOWNS)
        if rng.random() < RATES["stale"]:
            verified = STALE_DAYS[0] + int(rng.random() * (STALE_DAYS[1] - STALE_DAYS[0]))
        else:
            verified = FRESH_DAYS[0] + int(rng.random() * (FRESH_DAYS[1] - FRESH_DAYS[0]))
        own_phone = phone if phone is not None else people.mobile_number(rng)
        if age >= 18 and rng.random() < RATES["no_phone"]:
            own_phone = ""
        row = {
            "id": len(self.plan.people) + 1,
            "id_number": self.ids.next(division, born, sex),
            "name": name or people.resident_name(rng, sex),
            "sex": sex,
            "birth": born,
            "phone": own_phone,
            "ethnicity": "汉族" if rng.random() < 0.96 else people.ETHNIC_MINORITIES[age % 8],
            "hukou": hukou,
            "migrant": migrant,
            "contact_name": "",
            "contact_phone": "",
            "cell": cell,
            "verified_days": verified,
            "age": age,
        }
        self.plan.people.append(row)
        return row

    def family(self, rng: random.Random, size: int, *, migrant: bool, cell: str,
               hukou: str) -> list[tuple[dict, str]]:  # fmt: skip
        """(person, relation) of one family: a head, a spouse, children or parents."""
        if size == 1 and not migrant and rng.random() < 0.6:
            head_age = rng.randint(60, 94)
        elif migrant:
            head_age = rng.randint(20, 55)
        else:
            head_age = rng.randint(26, 86)
        sex = rng.choice("MF")
        head = self.person(rng, age=head_age, sex=sex, migrant=migrant, cell=cell, hukou=hukou)
        members = [(head, "head")]
        surname = people.surname_of(head["name"])
        if size >= 2:
            spouse_sex = "F" if sex == "M" else "M"
            members.append((self.person(rng, age=head_age + rng.randint(-4, 4), sex=spouse_sex,
                                        migrant=migrant, cell=cell, hukou=hukou), "spouse"))  # fmt: skip
        for index in range(2, size):
            if index == 4 and head_age < 60:
                age, relation = head_age + rng.randint(24, 32), "parent"
            elif head_age >= 58 and index == 3:
                age, relation = max(0, head_age - rng.randint(50, 62)), "grandchild"
            else:
                age, relation = max(0, head_age - rng.randint(24, 36)), "child"
            child_sex = rng.choice("MF")
            shared = head["phone"] if age < 16 else None
            name = surname + people.given_name(rng, child_sex) if relation != "parent" else None
            members.append((self.person(rng, age=age, sex=child_sex, migrant=migrant, cell=cell,
                                        hukou=hukou, phone=shared, name=name), relation))  # fmt: skip
        return members

    def household(self, members: list[tuple[dict, str]], dwelling_id: int, grid_code: str,
                  since: datetime.date) -> None:  # fmt: skip
        household_id = len(self.plan.households) + 1
        number = f"{grid_code}-{household_id:06d}"
        self.plan.households.append((household_id, number, dwelling_id, members[0][0]["id"]))
        for person, relation in members:
            self.plan.members.append((household_id, person["id"], relation, since))

    def live(self, person: dict, dwelling_id: int, role: str, since: datetime.date,
             lease_id: int | None = None) -> None:  # fmt: skip
        self.plan.residencies.append(
            [person["id"], dwelling_id, role, since, None, lease_id, person["verified_days"]]
        )

    def own(self, dwelling_id: int, owners: list[dict], since: datetime.date) -> None:
        for owner in owners:
            # An owner can always link their account by a code to their phone (实名认证), so the
            # "adult without a phone" defect never falls on an owner. Derived from the person's
            # number, not drawn, so the rest of the town stays as the seed makes it.
            if not owner["phone"]:
                owner["phone"] = f"139{(owner['id'] * 7_919) % 100_000_000:08d}"
            self.plan.ownerships.append((dwelling_id, owner["id"], 1, len(owners), since))


def plan_housing(tree: CellTree, profile: str, today: datetime.date) -> HousingPlan:
    """The people and housing of ``profile`` (nothing for a profile without a population)."""
    registered, migrants = POPULATION.get(profile, (0, 0))
    planner = _Planner(tree, today, profile)
    estates = [cell for cell in tree.cells if cell.kind == "estate"]
    groups = [cell for cell in tree.cells if cell.kind == "group"]
    if not registered or not (estates or groups):
        return planner.plan
    from gridgov.demo.housing_fill import fill_estate, fill_faults, fill_village

    reg_estates = round(registered * ESTATE_SHARE[0]) if groups else registered
    mig_estates = round(migrants * ESTATE_SHARE[1]) if groups else migrants
    split_rng = tree.rng("housing:split")
    if estates:
        reg = exact_split(reg_estates, len(estates), split_rng)
        mig = exact_split(mig_estates, len(estates), split_rng)
        for grid, r, m in zip(estates, reg, mig, strict=True):
            fill_estate(planner, grid, r, m)
    if groups:
        reg = exact_split(registered - reg_estates, len(groups), split_rng)
        mig = exact_split(migrants - mig_estates, len(groups), split_rng)
        for grid, r, m in zip(groups, reg, mig, strict=True):
            fill_village(planner, grid, r, m)
    fill_faults(planner, DUPLICATES.get(profile, 0))
    return planner.plan
