"""A small world for the engine's tests: the town of ``conftest``, a catalogue, departments,
a property company with an estate, and one user per role."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from gridgov.accounts.models import Organization, User
from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from gridgov.cases.models import Case, Category, Channel
from gridgov.cases.services import case_report, catalogue_install_defaults
from gridgov.registry.models import Building, Estate
from gridgov.registry.tests.factories import BuildingFactory, EstateFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
# A point inside micro-grid a1 (lng 121.0–121.1, lat 31.0–31.2).
POINT_A1 = {"lat": 31.1, "lng": 121.05}
POINT_B2 = {"lat": 31.1, "lng": 121.35}


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@dataclass
class World:
    town: object
    urban: Organization
    housing: Organization
    fire: Organization
    company: Organization
    estate: Estate
    building: Building
    operator: User
    handler: User
    housing_handler: User
    other_handler: User
    community: User
    gridworker: User
    property_staff: User
    resident: User
    other_resident: User


def _member(
    role: str, cell: object, username: str, organization: Organization | None = None
) -> User:
    user = UserFactory(username=username)
    MembershipFactory(user=user, cell=cell, role=role, organization=organization)
    return user


@pytest.fixture(name="world")
def world_fixture(town) -> World:
    urban = OrganizationFactory(code="dept-urban-management", name="城管执法中队")
    housing = OrganizationFactory(code="dept-housing", name="房管办")
    fire = OrganizationFactory(code="dept-fire", name="消防救援站")
    OrganizationFactory(code="dept-police", name="公安派出所")
    OrganizationFactory(code="dept-water", name="水务所")
    OrganizationFactory(code="dept-sanitation", name="环卫所")
    company = OrganizationFactory(
        code="pc-vanke", name="万科物业", kind=Organization.Kind.PROPERTY_COMPANY
    )
    centre = OrganizationFactory(
        code="ops", name="城运中心", kind=Organization.Kind.OPERATIONS_CENTRE
    )
    catalogue_install_defaults()
    estate = EstateFactory(
        code="E-FDY",
        name="飞碟苑",
        cell=town.micro_a1,
        property_company=company,
        lng=121.05,
        lat=31.1,
    )
    building = BuildingFactory(
        estate=estate, label="12号楼", cell=town.micro_a1, lng=121.05, lat=31.1
    )
    return World(
        town=town,
        urban=urban,
        housing=housing,
        fire=fire,
        company=company,
        estate=estate,
        building=building,
        operator=_member(Role.OPERATOR, town.town, "operator", centre),
        handler=_member(Role.DEPARTMENT_HANDLER, town.town, "handler", urban),
        housing_handler=_member(Role.DEPARTMENT_HANDLER, town.town, "housing", housing),
        other_handler=_member(Role.DEPARTMENT_HANDLER, town.town, "firefighter", fire),
        community=_member(Role.COMMUNITY_STAFF, town.community_b, "community_b"),
        gridworker=_member(Role.GRID_WORKER, town.grid_a, "gridworker"),
        property_staff=_member(Role.PROPERTY_STAFF, town.micro_a1, "property", company),
        resident=_member(Role.RESIDENT, town.micro_a1, "resident"),
        other_resident=_member(Role.RESIDENT, town.micro_a2, "resident2"),
    )


# Importing either name into a test module makes the ``world`` fixture available there.
world = world_fixture


def report(
    world: World,
    *,
    category: str = "street-light",
    now: datetime.datetime | None = None,
    **kwargs: object,
) -> Case:
    params: dict[str, object] = {
        "actor": world.resident,
        "channel": Channel.RESIDENT,
        "category_code": category,
        "description": "路灯不亮了",
        **POINT_A1,
        "reporter_phone": "13812345678",
    }
    params.update(kwargs)
    return case_report(now=now or local(2025, 9, 22, 10, 0), **params)  # type: ignore[arg-type]


def category(code: str) -> Category:
    return Category.objects.get(code=code)
