"""Fixtures shared by every app's tests: a small town and people in each role."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import MembershipFactory, UserFactory
from gridgov.grids.models import Cell, LevelKind
from gridgov.grids.tests.factories import CellFactory, square


def running_under_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Town:
    """镇 → two communities → one grid each → two micro-grids each, with boundaries that tile."""

    town: Cell
    community_a: Cell
    community_b: Cell
    grid_a: Cell
    grid_b: Cell
    micro_a1: Cell
    micro_a2: Cell
    micro_b1: Cell
    micro_b2: Cell


def _cell(code: str, name: str, level: str, parent: Cell | None, boundary: dict) -> Cell:
    return CellFactory(code=code, name=name, level=level, parent=parent, boundary=boundary)


@pytest.fixture
def town(db: None) -> Town:
    # Town: lng 121.0–121.4, lat 31.0–31.2. Community A west half, B east half.
    town = _cell(
        "310112106",
        "马桥镇",
        LevelKind.STREET,
        None,
        {
            "type": "Polygon",
            "coordinates": [
                [[121.0, 31.0], [121.4, 31.0], [121.4, 31.2], [121.0, 31.2], [121.0, 31.0]]
            ],
        },
    )
    community_a = _cell(
        "310112106001", "飞碟苑居委", LevelKind.COMMUNITY, town, square(121.0, 31.0, 0.2)
    )
    community_b = _cell(
        "310112106002", "彭渡村", LevelKind.COMMUNITY, town, square(121.2, 31.0, 0.2)
    )
    grid_a = _cell(
        "310112106001001", "飞碟苑第一网格", LevelKind.GRID, community_a, square(121.0, 31.0, 0.2)
    )
    grid_b = _cell(
        "310112106002001", "彭渡第一网格", LevelKind.GRID, community_b, square(121.2, 31.0, 0.2)
    )
    micro = {}
    for grid, base_lng, prefix in ((grid_a, 121.0, "a"), (grid_b, 121.2, "b")):
        for index, lng in enumerate((base_lng, base_lng + 0.1), start=1):
            micro[f"{prefix}{index}"] = _cell(
                f"{grid.code}{index:03d}",
                f"{grid.name}微网格{index}",
                LevelKind.MICRO_GRID,
                grid,
                {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [lng, 31.0],
                            [lng + 0.1, 31.0],
                            [lng + 0.1, 31.2],
                            [lng, 31.2],
                            [lng, 31.0],
                        ]
                    ],
                },
            )
    return Town(
        town=town,
        community_a=community_a,
        community_b=community_b,
        grid_a=grid_a,
        grid_b=grid_b,
        micro_a1=micro["a1"],
        micro_a2=micro["a2"],
        micro_b1=micro["b1"],
        micro_b2=micro["b2"],
    )


@pytest.fixture
def make_member(db: None):
    """``make_member(role, cell, username=None)`` → a user holding ``role`` over ``cell``."""

    def make(role: str, cell: Cell, username: str | None = None) -> User:
        user = UserFactory(username=username) if username else UserFactory()
        MembershipFactory(user=user, cell=cell, role=role)
        return user

    return make


@pytest.fixture
def operator(town: Town, make_member) -> User:
    return make_member(Role.OPERATOR, town.town, "operator")


@pytest.fixture
def grid_worker_a(town: Town, make_member) -> User:
    return make_member(Role.GRID_WORKER, town.grid_a, "gridworker_a")


@pytest.fixture
def platform_admin(town: Town, make_member) -> User:
    return make_member(Role.PLATFORM_ADMIN, town.town, "platformadmin")
