"""A small case world for the page tests: a department, a property company, an estate with a
building and a dwelling in grid A, two categories, and a user in each role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.utils import timezone

from gridgov.accounts.models import Organization, User
from gridgov.accounts.roles import Role
from gridgov.accounts.sessions import TWO_FACTOR_VERIFIED_AT
from gridgov.accounts.tests.factories import MembershipFactory, UserFactory
from gridgov.cases.models import Case, Category, Channel
from gridgov.cases.services import case_report
from gridgov.conftest import Town
from gridgov.registry.models import Building, Dwelling, Estate
from gridgov.registry.tests.factories import BuildingFactory, DwellingFactory, EstateFactory

# A point inside micro-grid A1 (grid A, community A) of the test town.
POINT_A = (31.1, 121.05)
# Smallest valid PNG (1×1).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class CaseWorld:
    town: Town
    department: Organization
    company: Organization
    estate: Estate
    building: Building
    building_b: Building
    dwelling: Dwelling
    road: Category
    lift: Category
    users: dict[str, User] = field(default_factory=dict)

    def report(
        self, *, by: str = "resident", category: Category | None = None, **kwargs: Any
    ) -> Case:
        values: dict[str, Any] = {
            "channel": Channel.RESIDENT,
            "category_code": (category or self.road).code,
            "description": "楼下人行道的栏杆断了",
            "lat": POINT_A[0],
            "lng": POINT_A[1],
        }
        values.update(kwargs)
        return case_report(actor=self.users[by], **values)


def _member(role: str, cell: Any, username: str, organization: Organization | None = None) -> User:
    user = UserFactory(username=username)
    MembershipFactory(user=user, cell=cell, role=role, organization=organization)
    return user


def build_case_world(town: Town) -> CaseWorld:
    department = Organization.objects.create(
        code="dept-urban-management", name="城管执法中队", kind=Organization.Kind.DEPARTMENT
    )
    Organization.objects.create(
        code="dept-greening", name="绿化市容所", kind=Organization.Kind.DEPARTMENT
    )
    company = Organization.objects.create(
        code="property-wanke", name="万科物业", kind=Organization.Kind.PROPERTY_COMPANY
    )
    centre = Organization.objects.create(
        code="ops-centre", name="城运中心", kind=Organization.Kind.OPERATIONS_CENTRE
    )
    estate = EstateFactory(code="FDY", name="飞碟苑", cell=town.grid_a, address="马桥镇飞碟苑")
    estate.property_company = company
    estate.save(update_fields=["property_company"])
    building = BuildingFactory(
        estate=estate, label="12号楼", cell=town.micro_a1, lat=31.1, lng=121.05
    )
    estate_b = EstateFactory(
        code="PDXC", name="彭渡新村", cell=town.grid_b, address="马桥镇彭渡新村"
    )
    building_b = BuildingFactory(
        estate=estate_b, label="3号", cell=town.micro_b1, lat=31.1, lng=121.25
    )
    dwelling = DwellingFactory(
        building=building,
        unit=None,
        room="101",
        cell=town.micro_a1,
        address="马桥镇飞碟苑12号楼101室",
    )
    group = Category.objects.create(code="city", name="市容环境", sort_order=1)
    road = Category.objects.create(
        code="railing",
        name="栏杆破损",
        parent=group,
        department=department,
        accept_within=2,
        resolve_within=3,
    )
    property_group = Category.objects.create(code="property", name="物业管理", sort_order=2)
    lift = Category.objects.create(
        code="lift",
        name="电梯故障",
        parent=property_group,
        department=department,
        is_property_matter=True,
    )
    world = CaseWorld(
        town=town,
        department=department,
        company=company,
        estate=estate,
        building=building,
        building_b=building_b,
        dwelling=dwelling,
        road=road,
        lift=lift,
    )
    world.users = {
        "admin": _member(Role.PLATFORM_ADMIN, town.town, "c_admin"),
        "operator": _member(Role.OPERATOR, town.town, "c_operator", centre),
        "handler": _member(Role.DEPARTMENT_HANDLER, town.town, "c_handler", department),
        "community": _member(Role.COMMUNITY_STAFF, town.community_a, "c_community"),
        "gridworker": _member(Role.GRID_WORKER, town.grid_a, "c_gridworker"),
        "gridworker_b": _member(Role.GRID_WORKER, town.grid_b, "c_gridworker_b"),
        "property": _member(Role.PROPERTY_STAFF, town.grid_a, "c_property", company),
        "resident": _member(Role.RESIDENT, town.micro_a1, "c_resident"),
        "neighbour": _member(Role.RESIDENT, town.micro_a1, "c_neighbour"),
    }
    return world


def sign_in_as(client: Client, user: User) -> Client:
    client.force_login(user)
    session = client.session
    session[TWO_FACTOR_VERIFIED_AT] = timezone.now().timestamp()
    session.save()
    return client
