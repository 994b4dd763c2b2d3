"""Pure plans of the demo town's organisations, staff and the seven printed demo accounts.

Every post of the seeds is filled: 网格长 of the town, 社区书记 and 社区民警 per community,
网格长 and 网格员 per grid, 物业经理 per estate, 微网格长 per micro-grid and 楼组长 in estates.
The printed demo accounts take over one generated slot each, so they appear in the staff
directory like everyone else.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import translation

from gridgov.accounts.models import Organization
from gridgov.accounts.roles import Role
from gridgov.demo import names
from gridgov.demo.plan import CellTree, PlannedCell
from gridgov.grids.models import LevelKind, Post

OPS_CENTRE_CODE = "ops-centre"
HANDLER_DEPARTMENT_CODE = "dept-urban-management"


@dataclass(frozen=True)
class PlannedOrganization:
    code: str
    name: str
    kind: str


@dataclass
class PlannedStaff:
    slot: str
    username: str
    display_name: str
    cell_code: str
    post: str = ""
    role: str = ""
    organization_code: str = ""
    is_demo_account: bool = False
    is_admin_site_user: bool = False


@dataclass
class StaffPlan:
    organizations: list[PlannedOrganization] = field(default_factory=list)
    staff: list[PlannedStaff] = field(default_factory=list)
    # role → the demo account's username, in the order they are printed.
    demo_accounts: dict[str, str] = field(default_factory=dict)


# The printed demo accounts: (role, username), one per role (DESIGN D13).
DEMO_ACCOUNTS: tuple[tuple[str, str], ...] = (
    (Role.PLATFORM_ADMIN, "admin"),
    (Role.OPERATOR, "operator"),
    (Role.DEPARTMENT_HANDLER, "handler"),
    (Role.COMMUNITY_STAFF, "community"),
    (Role.GRID_WORKER, "gridworker"),
    (Role.PROPERTY_STAFF, "property"),
    (Role.RESIDENT, "resident"),
)


def role_label(role: str) -> str:
    """The English role label used in the printed account lines ("platform administrator")."""
    with translation.override("en"):
        label = str(Role(role).label)
    return label[:1].lower() + label[1:]


def _committee_name(cell: PlannedCell) -> str:
    if cell.kind == "village":
        return f"{cell.name}村民委员会"
    if cell.kind == "committee":
        return f"{cell.name.removesuffix('居委')}居民委员会"
    return f"{cell.name}居民委员会"


class _StaffBuilder:
    def __init__(self, tree: CellTree) -> None:
        self.tree = tree
        self.plan = StaffPlan()
        self.number = 0
        self.by_slot: dict[str, PlannedStaff] = {}

    def person(
        self,
        rng: random.Random,
        slot: str,
        cell: PlannedCell,
        *,
        post: str = "",
        role: str = "",
        organization_code: str = "",
    ) -> None:
        self.number += 1
        name = names.person_name(rng)
        staff = PlannedStaff(
            slot=slot,
            username=names.username_for(name, self.number),
            display_name=name,
            cell_code=cell.code,
            post=post,
            role=role,
            organization_code=organization_code,
        )
        self.plan.staff.append(staff)
        self.by_slot[slot] = staff

    def organization(self, code: str, name: str, kind: str) -> None:
        self.plan.organizations.append(PlannedOrganization(code=code, name=name, kind=kind))


def _town_staff(builder: _StaffBuilder, town: PlannedCell) -> None:
    rng = builder.tree.rng(f"staff:{town.code}")
    builder.organization(
        OPS_CENTRE_CODE, f"{town.name}城运中心", Organization.Kind.OPERATIONS_CENTRE
    )
    for code, name in names.DEPARTMENTS:
        builder.organization(code, name, Organization.Kind.DEPARTMENT)
    builder.person(
        rng,
        "street_leader",
        town,
        post=Post.STREET_LEADER,
        role=Role.OPERATOR,
        organization_code=OPS_CENTRE_CODE,
    )
    for index in range(1, 4):
        builder.person(
            rng, f"ops:{index}", town, role=Role.OPERATOR, organization_code=OPS_CENTRE_CODE
        )
    for code, _name in names.DEPARTMENTS:
        builder.person(
            rng, f"dept:{code}", town, role=Role.DEPARTMENT_HANDLER, organization_code=code
        )


def _community_staff(builder: _StaffBuilder, cell: PlannedCell) -> None:
    rng = builder.tree.rng(f"staff:{cell.code}")
    organization_code = f"committee-{cell.code}"
    builder.organization(organization_code, _committee_name(cell), Organization.Kind.COMMITTEE)
    builder.person(
        rng,
        f"secretary:{cell.code}",
        cell,
        post=Post.COMMUNITY_SECRETARY,
        role=Role.COMMUNITY_STAFF,
        organization_code=organization_code,
    )
    builder.person(
        rng,
        f"police:{cell.code}",
        cell,
        post=Post.COMMUNITY_POLICE,
        role=Role.DEPARTMENT_HANDLER,
        organization_code="dept-police",
    )


def _grid_staff(builder: _StaffBuilder, cell: PlannedCell, companies: dict[str, str]) -> None:
    rng = builder.tree.rng(f"staff:{cell.code}")
    builder.person(
        rng, f"grid_chief:{cell.code}", cell, post=Post.GRID_CHIEF, role=Role.GRID_WORKER
    )
    for index in range(1, rng.randint(1, 2) + 1):
        builder.person(
            rng,
            f"grid_worker:{cell.code}:{index}",
            cell,
            post=Post.GRID_WORKER,
            role=Role.GRID_WORKER,
        )
    if cell.kind == "estate":
        company_name = names.PROPERTY_COMPANIES[rng.randrange(len(names.PROPERTY_COMPANIES))]
        company_code = f"property-{names.PROPERTY_COMPANIES.index(company_name) + 1:02d}"
        if company_code not in companies:
            companies[company_code] = company_name
            builder.organization(company_code, company_name, Organization.Kind.PROPERTY_COMPANY)
        builder.person(
            rng,
            f"property:{cell.code}",
            cell,
            post=Post.PROPERTY_MANAGER,
            role=Role.PROPERTY_STAFF,
            organization_code=company_code,
        )


def _micro_grid_staff(builder: _StaffBuilder, cell: PlannedCell, in_estate: bool) -> None:
    rng = builder.tree.rng(f"staff:{cell.code}")
    builder.person(rng, f"micro_chief:{cell.code}", cell, post=Post.MICRO_GRID_CHIEF)
    if in_estate:
        for index in range(1, rng.randint(1, 2) + 1):
            builder.person(
                rng, f"building_chief:{cell.code}:{index}", cell, post=Post.BUILDING_CHIEF
            )


def _first(cells: list[PlannedCell], predicate: Callable[[PlannedCell], bool]) -> PlannedCell:
    return next(cell for cell in cells if predicate(cell))


def _assign_demo_accounts(builder: _StaffBuilder, town: PlannedCell) -> None:
    """Give the printed accounts their places: admin, operator and handler over the whole
    town, then one community, a grid in it, an estate grid and a micro-grid."""
    cells = builder.tree.in_depth_order()
    community = _first(cells, lambda c: c.parent_code == town.code and c.kind != "village")
    grid = _first(cells, lambda c: c.parent_code == community.code)
    estate = _first(cells, lambda c: c.kind == "estate")
    micro = _first(cells, lambda c: c.parent_code == grid.code)
    rng = builder.tree.rng("demo-accounts")
    builder.person(rng, "admin", town, role=Role.PLATFORM_ADMIN, organization_code=OPS_CENTRE_CODE)
    builder.by_slot["admin"].is_admin_site_user = True
    builder.person(rng, "resident", micro, role=Role.RESIDENT)
    slots = {
        Role.PLATFORM_ADMIN: "admin",
        Role.OPERATOR: "ops:1",
        Role.DEPARTMENT_HANDLER: f"dept:{HANDLER_DEPARTMENT_CODE}",
        Role.COMMUNITY_STAFF: f"secretary:{community.code}",
        Role.GRID_WORKER: f"grid_worker:{grid.code}:1",
        Role.PROPERTY_STAFF: f"property:{estate.code}",
        Role.RESIDENT: "resident",
    }
    for role, username in DEMO_ACCOUNTS:
        staff = builder.by_slot[slots[role]]
        staff.username = username
        staff.is_demo_account = True
        builder.plan.demo_accounts[role] = username


def plan_staff(tree: CellTree) -> StaffPlan:
    """Organisations and staff for every cell of ``tree``, deterministic from its seed."""
    builder = _StaffBuilder(tree)
    cells = tree.in_depth_order()
    town = _first(cells, lambda c: c.level == LevelKind.STREET)
    kinds = {cell.code: cell.kind for cell in cells}
    companies: dict[str, str] = {}
    _town_staff(builder, town)
    for cell in cells:
        if cell.level == LevelKind.COMMUNITY:
            _community_staff(builder, cell)
        elif cell.level == LevelKind.GRID:
            _grid_staff(builder, cell, companies)
        elif cell.level == LevelKind.MICRO_GRID:
            in_estate = kinds.get(cell.parent_code or "") == "estate"
            _micro_grid_staff(builder, cell, in_estate)
    _assign_demo_accounts(builder, town)
    return builder.plan
