"""Helpers for the housing tests: staff in the test town and the fields of a new person."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.conftest import Town
from gridgov.core.models import AuditEntry
from gridgov.grids.models import Post
from gridgov.grids.tests.factories import StaffAssignmentFactory
from gridgov.registry.models import IdType, Lease, LeaseTenant, Person, Residency
from gridgov.registry.tests.factories import chinese_name, resident_id

_serial = itertools.count(300)


def community_staff_a(make_member: Any, town: Town) -> User:
    """Community staff over community A: may manage places, people and leases there."""
    user: User = make_member(Role.COMMUNITY_STAFF, town.community_a, "community_a")
    return user


def grid_worker_b(make_member: Any, town: Town) -> User:
    user: User = make_member(Role.GRID_WORKER, town.grid_b, "gridworker_b")
    return user


def posted_grid_worker(
    make_member: Any, cell: Any, username: str, post: str = Post.GRID_WORKER
) -> User:
    """A grid-worker account that also holds the post in ``cell`` (so it gets reminders)."""
    user: User = make_member(Role.GRID_WORKER, cell, username)
    StaffAssignmentFactory(cell=cell, user=user, post=post)
    return user


def new_person_fields(
    *, born: datetime.date = datetime.date(1990, 5, 17), sex: str = "M", **extra: Any
) -> dict[str, Any]:
    """The ``person_register`` fields of someone not yet in the registry."""
    serial = next(_serial)
    fields: dict[str, Any] = {
        "id_type": IdType.RESIDENT_ID,
        "id_number": resident_id(born, sequence=serial, sex=sex, division="320102"),
        "name": chinese_name(serial),
        "phone": f"137{serial:08d}",
        "is_migrant": True,
    }
    fields.update(extra)
    return fields


def with_bad_check_digit(number: str) -> str:
    last = number[-1]
    return number[:-1] + ("0" if last != "0" else "1")


def housing_counts() -> dict[str, int]:
    """Row counts that a refused write must leave unchanged."""
    return {
        "people": Person.objects.count(),
        "leases": Lease.objects.count(),
        "tenants": LeaseTenant.objects.count(),
        "residencies": Residency.objects.count(),
        "audit": AuditEntry.objects.count(),
    }
