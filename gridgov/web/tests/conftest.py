"""Fixtures for the web shell's tests: signing in past the second factor, a bigger town."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.sessions import TWO_FACTOR_VERIFIED_AT
from gridgov.grids.models import Cell, LevelKind, Post
from gridgov.grids.tests.factories import CellFactory, StaffAssignmentFactory, square


def sign_in_as(client: Client, user: User) -> Client:
    """A signed-in session that has passed two-factor verification, as after a real login."""
    client.force_login(user)
    session = client.session
    session[TWO_FACTOR_VERIFIED_AT] = timezone.now().timestamp()
    session.save()
    return client


@pytest.fixture
def sign_in(client: Client) -> Callable[[User], Client]:
    return lambda user: sign_in_as(client, user)


@dataclass
class BigTown:
    town: Cell
    communities: list[Cell]
    operator: User
    cell_count: int


@pytest.fixture
def big_town(make_member) -> BigTown:
    """镇 → 8 communities → 5 grids each → 6 micro-grids each (289 cells), a worker per grid."""
    town = CellFactory(
        code="310112107", name="虹桥镇", level=LevelKind.STREET, boundary=square(121.0, 31.0, 0.8)
    )
    communities = []
    count = 1
    for c in range(1, 9):
        community = CellFactory(
            code=f"{town.code}{c:03d}",
            name=f"第{c}社区",
            level=LevelKind.COMMUNITY,
            parent=town,
            boundary=square(121.0 + 0.1 * (c - 1), 31.0, 0.1),
        )
        communities.append(community)
        count += 1
        for g in range(1, 6):
            grid = CellFactory(
                code=f"{community.code}{g:03d}",
                name=f"第{c}社区第{g}网格",
                level=LevelKind.GRID,
                parent=community,
                boundary=square(121.0 + 0.1 * (c - 1), 31.0 + 0.02 * (g - 1), 0.02),
            )
            StaffAssignmentFactory(cell=grid, post=Post.GRID_WORKER)
            count += 1
            for m in range(1, 7):
                CellFactory(
                    code=f"{grid.code}{m:03d}",
                    name=f"{grid.name}微网格{m}",
                    level=LevelKind.MICRO_GRID,
                    parent=grid,
                )
                count += 1
    operator = make_member(Role.OPERATOR, town, "big_operator")
    return BigTown(town=town, communities=communities, operator=operator, cell_count=count)
