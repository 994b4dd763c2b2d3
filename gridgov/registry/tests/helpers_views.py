"""Helpers for the registry page tests: a small registry world, users in every role, sign-in."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.sessions import TWO_FACTOR_VERIFIED_AT
from gridgov.conftest import Town
from gridgov.registry.models import Dwelling, Lease, Person, Residency
from gridgov.registry.tests.factories import (
    HouseholdFactory,
    HouseholdMemberFactory,
    LeaseFactory,
    LeaseTenantFactory,
    OwnershipFactory,
    ResidencyFactory,
)

# Clear identifiers of the people below: none of them may ever appear in a page's HTML.
ID_A = "310112198503041234"
PHONE_A = "13912345678"
ID_B = "310112197001011237"
PHONE_B = "13698765432"


def sign_in_as(client: Client, user: User) -> Client:
    client.force_login(user)
    session = client.session
    session[TWO_FACTOR_VERIFIED_AT] = timezone.now().timestamp()
    session.save()
    return client


@dataclass
class World:
    person_a: Person  # lives in grid A, owner of dwelling_a
    tenant_a: Person  # tenant in dwelling_a
    person_b: Person  # lives in grid B
    dwelling_a: Dwelling
    dwelling_b: Dwelling
    lease_a: Lease
    users: dict[str, User]


def valid_resident_id(body17: str) -> str:
    from stdnum.cn import ric

    return body17 + ric.calc_check_digit(body17 + "0")


def build_world(*, town: Town, places: Any, person_factory: Any, make_member: Any) -> World:
    """Two people in grid A (an owner and a tenant with a lease), one in grid B, and a user in
    every role: admin/operator/department over the town, community staff over community A,
    grid workers over grid A and grid B, property staff and a resident in grid A."""
    person_a = person_factory(
        id_number=valid_resident_id(ID_A[:17]), phone=PHONE_A, name="张三", cell=town.grid_a
    )
    tenant_a = person_factory(name="李四", cell=town.grid_a, is_female=True)
    person_b = person_factory(
        id_number=valid_resident_id(ID_B[:17]), phone=PHONE_B, name="王五", cell=town.grid_b
    )
    dwelling_a = places.dwellings[0]
    today = timezone.localdate()
    ResidencyFactory(
        person=person_a,
        dwelling=dwelling_a,
        role=Residency.Role.OWNER,
        started_on=today - datetime.timedelta(days=900),
    )
    OwnershipFactory(
        dwelling=dwelling_a, owner=person_a, started_on=today - datetime.timedelta(days=900)
    )
    lease = LeaseFactory(
        dwelling=dwelling_a,
        landlord=person_a,
        started_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=20),
    )
    LeaseTenantFactory(lease=lease, person=tenant_a)
    ResidencyFactory(
        person=tenant_a,
        dwelling=dwelling_a,
        role=Residency.Role.TENANT,
        started_on=lease.started_on,
        lease=lease,
    )
    household = HouseholdFactory(dwelling=dwelling_a, head=person_a)
    HouseholdMemberFactory(household=household, person=person_a)
    ResidencyFactory(
        person=person_b,
        dwelling=places.dwelling_b,
        role=Residency.Role.OWNER,
        started_on=today - datetime.timedelta(days=100),
    )
    users = {
        "platform_admin": make_member(Role.PLATFORM_ADMIN, town.town, "v_admin"),
        "operator": make_member(Role.OPERATOR, town.town, "v_operator"),
        "department_handler": make_member(Role.DEPARTMENT_HANDLER, town.town, "v_department"),
        "community_staff": make_member(Role.COMMUNITY_STAFF, town.community_a, "v_community"),
        "grid_worker_a": make_member(Role.GRID_WORKER, town.grid_a, "v_grid_a"),
        "grid_worker_b": make_member(Role.GRID_WORKER, town.grid_b, "v_grid_b"),
        "property_staff": make_member(Role.PROPERTY_STAFF, town.grid_a, "v_property"),
        "resident": make_member(Role.RESIDENT, town.grid_a, "v_resident"),
    }
    return World(
        person_a=person_a,
        tenant_a=tenant_a,
        person_b=person_b,
        dwelling_a=dwelling_a,
        dwelling_b=places.dwelling_b,
        lease_a=lease,
        users=users,
    )


def clear_identifiers(world: World) -> list[str]:
    return [
        valid_resident_id(ID_A[:17]),
        PHONE_A,
        valid_resident_id(ID_B[:17]),
        PHONE_B,
    ]
