"""Fixtures shared by every app's tests: a small town and people in each role."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import MembershipFactory, UserFactory
from gridgov.core.testing import running_under_ci
from gridgov.grids.models import Cell, LevelKind
from gridgov.grids.tests.factories import CellFactory, square


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


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Each test starts with an empty cache (figures cached by one test never reach another)."""
    from django.core.cache import cache

    from gridgov.core.lookups import lookups_clear

    cache.clear()
    lookups_clear()
    yield
    cache.clear()


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


# ---- browser tests (Playwright driving Debian's chromium; never a downloaded browser) ----------

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    """One chromium per test module. Missing: skipped with the reason, or failed under CI=true."""
    chromium = shutil.which("chromium")
    if chromium is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if running_under_ci():
            pytest.fail(f"{reason}; CI=true requires the browser tests to run")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test body
    # are safe because the live server runs in its own thread.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page(chromium_browser) -> Iterator[object]:
    """A fresh browser context (cookies, storage) per test, in Chinese, desktop size."""
    context = chromium_browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def audit_chain_genesis(transactional_db) -> None:
    """Transactional tests flush the tables, the audit chain's genesis row with them."""
    from gridgov.core.audit import GENESIS_HASH
    from gridgov.core.models import AuditChainHead

    AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
